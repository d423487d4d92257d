import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import fontkit from "@pdf-lib/fontkit";
import { PDFDocument, rgb, type PDFFont, type PDFPage } from "pdf-lib";
import QRCode from "qrcode";
import { formatApplicationNumber } from "../enrollment/applicationNumber.ts";
import { KEY_STORAGES, type KeyStorageKind } from "../enrollment/keyStorage.ts";
import { formatDate, messages, type Language, type Messages } from "../i18n/index.ts";
import { centerByCode, localityByCode, regionByCode } from "../locality/regions.ts";
import type { Application } from "../storage/portalStore.ts";

const require = createRequire(import.meta.url);
interface Fonts {
  readonly regular: Uint8Array;
  readonly bold: Uint8Array;
  readonly mono: Uint8Array;
}
let fonts: Promise<Fonts> | undefined;

/** Every character a form can hold: Kazakh, Russian and English text, digits, punctuation. */
const FORM_ALPHABET = [
  "АӘБВГҒДЕЁЖЗИЙКҚЛМНҢОӨПРСТУҰҮФХҺЦЧШЩЪЫІЬЭЮЯ",
  "аәбвгғдеёжзийкқлмнңоөпрстуұүфхһцчшщъыіьэюя",
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
  " .,:;!?()[]«»\"'-–—/№@#%&*+=_<>|“”‘’…",
].join("");

/**
 * DejaVu from its npm package (not a system path): it covers the Kazakh letters ә ғ қ ң ө ұ ү һ і.
 * Parsed once and shared by every form, which makes a form several times faster. fontkit caches
 * each glyph with the characters it was first made for, and a glyph first made without them (by a
 * subset, say) would lose them from later forms' text layers: laying out the whole alphabet first
 * makes every glyph from its characters.
 */
function loadFonts(): Promise<Fonts> {
  fonts ??= Promise.all(
    ["DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSansMono.ttf"].map((name) =>
      readFile(require.resolve(`dejavu-fonts-ttf/ttf/${name}`)),
    ),
  ).then(([regular, bold, mono]) => ({ regular: regular!, bold: bold!, mono: mono! }));
  return fonts;
}

const parsedFonts = new Map<Uint8Array, ReturnType<typeof fontkit.create>>();

/** fontkit for pdf-lib, handing out each font parsed (and its glyphs made) once. */
const sharedFontkit: typeof fontkit = {
  ...fontkit,
  create(data, postscriptName) {
    let font = parsedFonts.get(data);
    if (!font) {
      font = fontkit.create(data, postscriptName);
      font.layout(FORM_ALPHABET);
      parsedFonts.set(data, font);
    }
    return font;
  },
};

const STORAGE_LABEL: Record<KeyStorageKind, keyof Messages> = {
  file: "storageFile",
  idcard: "storageIdCard",
  etoken: "storageEToken",
  jacarta: "storageJaCarta",
  kaztoken: "storageKaztoken",
};

export const storageLabel = (t: Messages, storage: string) =>
  t[STORAGE_LABEL[storage as KeyStorageKind] ?? "storageFile"];

/** A SHA-256 fingerprint as two lines of 16 colon-separated bytes, as `openssl … -fingerprint` writes them. */
export const fingerprintLines = (hex: string) =>
  [hex.slice(0, 32), hex.slice(32)].map((half) => half.toUpperCase().match(/.{2}/g)!.join(":"));

/**
 * The application form (Өтініш) the person prints and brings to the Registration Center: their
 * data, the number (also as a QR code), the key storage, the SHA-256 fingerprints of both public
 * keys (so the operator can match the keys to the paper), the date and the deadline.
 */
export async function applicationFormPdf(application: Application, language: Language): Promise<Uint8Array> {
  const person = application.person;
  if (!person) throw new Error(`application ${application.number} was purged`);
  const t = messages(language);
  const { regular, bold, mono } = await loadFonts();
  const document = await PDFDocument.create();
  document.registerFontkit(sharedFontkit);
  document.setTitle(`${t.formTitle} ${application.number}`);
  document.setLanguage(language);
  document.setCreator("Qoltanba");
  const font = await document.embedFont(regular, { subset: true });
  const boldFont = await document.embedFont(bold, { subset: true });
  const monoFont = await document.embedFont(mono, { subset: true });
  const page = document.addPage([595.28, 841.89]);
  const writer = new Writer(page, font, boldFont, monoFont);

  writer.text(t.siteName, { size: 10, color: 0.35 });
  writer.gap(18);
  writer.text(t.formTitle, { size: 20, bold: true });
  writer.text(t.formSubtitle, { size: 12 });
  writer.gap(10);
  writer.text(`${t.applicationNumber}: ${formatApplicationNumber(application.number)}`, {
    size: 15,
    bold: true,
  });
  writer.gap(8);
  writer.paragraph(t.formIntro, 10.5);
  writer.gap(8);

  const locality = localityByCode(application.locality);
  const region = regionByCode(application.region);
  const rows: Array<[string, string]> = [
    [t.formPerson, [person.surname, person.givenName, person.patronymic].filter(Boolean).join(" ")],
    [t.formIin, person.iin],
    [t.formEmail, application.email ?? "—"],
    [t.formLocality, [locality?.name[language], region?.name[language]].filter(Boolean).join(", ")],
    [t.formCenter, centerByCode(application.center)?.name[language] ?? application.center],
    [
      t.formStorage,
      `${storageLabel(t, application.storage)} (${KEY_STORAGES[application.storage as KeyStorageKind]?.agentStorage ?? "?"})`,
    ],
    [t.formDate, formatDate(application.submittedAt)],
    [t.formDeadline, formatDate(application.deadlineAt)],
  ];
  for (const [label, value] of rows) writer.field(label, value);
  writer.gap(4);
  writer.text(t.formDeadlineNote, { size: 9.5, color: 0.3 });
  writer.gap(12);
  writer.text(t.formKeys, { size: 11.5, bold: true });
  writer.gap(2);
  writer.fingerprint("AUTH", fingerprintLines(application.authSpkiSha256!));
  writer.fingerprint("SIGN", fingerprintLines(application.signSpkiSha256!));
  writer.gap(12);
  writer.paragraph(t.formDocuments, 10.5);
  writer.gap(40);
  writer.signatureLine(t.formSignature);
  writer.gap(36);
  writer.signatureLine(t.formOperator);

  await drawQrCode(page, application.number, 595.28 - 40 - 110, 841.89 - 40 - 110, 110);
  return document.save();
}

async function drawQrCode(page: PDFPage, text: string, x: number, y: number, size: number): Promise<void> {
  const { modules } = QRCode.create(text, { errorCorrectionLevel: "M" });
  const cell = size / (modules.size + 8);
  const origin = { x: x + 4 * cell, y: y + 4 * cell };
  for (let row = 0; row < modules.size; row++) {
    for (let column = 0; column < modules.size; column++) {
      if (!modules.get(row, column)) continue;
      let end = column;
      while (end + 1 < modules.size && modules.get(row, end + 1)) end++;
      page.drawRectangle({
        x: origin.x + column * cell,
        y: origin.y + (modules.size - 1 - row) * cell,
        width: (end - column + 1) * cell,
        height: cell,
        color: rgb(0, 0, 0),
      });
      column = end;
    }
  }
}

/** Top-down text layout on one A4 page. */
class Writer {
  private y = 841.89 - 50;
  private readonly left = 50;
  private readonly width = 595.28 - 100;

  constructor(
    private readonly page: PDFPage,
    private readonly font: PDFFont,
    private readonly bold: PDFFont,
    private readonly mono: PDFFont,
  ) {}

  text(
    value: string,
    options: { size: number; bold?: boolean; mono?: boolean; color?: number; x?: number },
  ): void {
    const grey = options.color ?? 0;
    this.y -= options.size * 1.35;
    this.page.drawText(value, {
      x: options.x ?? this.left,
      y: this.y,
      size: options.size,
      font: options.mono ? this.mono : options.bold ? this.bold : this.font,
      color: rgb(grey, grey, grey),
    });
  }

  gap(points: number): void {
    this.y -= points;
  }

  paragraph(value: string, size: number, x = this.left, width = this.width - 120): void {
    for (const line of this.wrap(value, size, width, this.font)) this.text(line, { size, x });
  }

  field(label: string, value: string, valueSize = 10.5): void {
    const labelWidth = 190;
    const top = this.y;
    for (const line of this.wrap(label, 9.5, labelWidth - 10, this.font))
      this.text(line, { size: 9.5, color: 0.35 });
    const labelBottom = this.y;
    this.y = top;
    for (const line of this.wrap(value, valueSize, this.width - labelWidth, this.bold))
      this.text(line, { size: valueSize, bold: true, x: this.left + labelWidth });
    this.y = Math.min(this.y, labelBottom) - 4;
  }

  fingerprint(label: string, lines: string[]): void {
    this.text(label, { size: 9.5, color: 0.35 });
    for (const line of lines) this.text(line, { size: 9, mono: true, x: this.left + 12 });
    this.gap(4);
  }

  signatureLine(label: string): void {
    this.page.drawLine({
      start: { x: this.left, y: this.y },
      end: { x: this.left + 260, y: this.y },
      thickness: 0.6,
      color: rgb(0, 0, 0),
    });
    this.text(label, { size: 9, color: 0.35 });
  }

  private wrap(value: string, size: number, width: number, font: PDFFont): string[] {
    const lines: string[] = [];
    let line = "";
    for (const word of value.split(/\s+/)) {
      const candidate = line ? `${line} ${word}` : word;
      if (font.widthOfTextAtSize(candidate, size) <= width || !line) line = candidate;
      else {
        lines.push(line);
        line = word;
      }
    }
    if (line) lines.push(line);
    return lines;
  }
}
