import { randomBytes, randomInt } from "node:crypto";

/** Digits only: the picture is read aloud and typed on any keyboard layout. */
const LENGTH = 5;

// Seven-segment strokes (a–g) for each digit, drawn as jittered paths rather than text, so the
// answer is not in the SVG as characters.
const SEGMENTS: Record<string, string> = {
  "0": "abcdef",
  "1": "bc",
  "2": "abged",
  "3": "abgcd",
  "4": "fgbc",
  "5": "afgcd",
  "6": "afgedc",
  "7": "abc",
  "8": "abcdefg",
  "9": "abcdfg",
};
const STROKES: Record<string, [number, number, number, number]> = {
  a: [0, 0, 1, 0],
  b: [1, 0, 1, 1],
  c: [1, 1, 1, 2],
  d: [0, 2, 1, 2],
  e: [0, 1, 0, 2],
  f: [0, 0, 0, 1],
  g: [0, 1, 1, 1],
};

export interface Captcha {
  readonly id: string;
  readonly answer: string;
  readonly svg: string;
}

const jitter = (spread: number) => (Math.random() - 0.5) * spread;

export function newCaptcha(): Captcha {
  const answer = Array.from({ length: LENGTH }, () => String(randomInt(0, 10))).join("");
  const paths: string[] = [];
  [...answer].forEach((digit, index) => {
    const x0 = 14 + index * 32 + jitter(6);
    const y0 = 12 + jitter(8);
    const skew = jitter(0.4);
    const point = (x: number, y: number) =>
      `${(x0 + x * 18 + y * 18 * skew + jitter(3)).toFixed(1)} ${(y0 + y * 18 + jitter(3)).toFixed(1)}`;
    const d = [...SEGMENTS[digit]!].map((segment) => {
      const [x1, y1, x2, y2] = STROKES[segment]!;
      return `M${point(x1, y1)} Q${point((x1 + x2) / 2 + jitter(0.3), (y1 + y2) / 2 + jitter(0.3))} ${point(x2, y2)}`;
    });
    paths.push(
      `<path d="${d.join(" ")}" stroke="#1b2a4a" stroke-width="${(3 + jitter(1)).toFixed(1)}" fill="none" stroke-linecap="round"/>`,
    );
  });
  for (let i = 0; i < 6; i++) {
    const y = () => (5 + Math.random() * 50).toFixed(1);
    paths.push(
      `<path d="M0 ${y()} C60 ${y()} 110 ${y()} 180 ${y()}" stroke="#7a8bb0" stroke-width="1.2" fill="none"/>`,
    );
  }
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="180" height="60" viewBox="0 0 180 60" role="img"><rect width="180" height="60" fill="#eef2f8"/>${paths.join("")}</svg>`;
  return { id: randomBytes(16).toString("base64url"), answer, svg };
}
