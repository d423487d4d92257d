import { randomInt } from "node:crypto";

/**
 * Application numbers: 16 digits, read aloud in groups of four (4821 0937 5512 8806). Fifteen
 * random digits (about 50 bits: not guessable among millions of applications) and a Luhn check
 * digit, so a mistyped digit (and most swapped neighbours) is caught before any lookup.
 */
export function newApplicationNumber(): string {
  let digits = String(randomInt(1, 10));
  for (let i = 1; i < 15; i++) digits += String(randomInt(0, 10));
  return digits + luhnDigit(digits);
}

function luhnDigit(digits: string): number {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let digit = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 0) digit = digit * 2 > 9 ? digit * 2 - 9 : digit * 2;
    sum += digit;
  }
  return (10 - (sum % 10)) % 10;
}

/** The number as typed (spaces and dashes allowed), or undefined when it cannot be a number of ours. */
export function parseApplicationNumber(input: string): string | undefined {
  const digits = input.replace(/[\s-]/g, "");
  if (!/^[1-9]\d{15}$/.test(digits)) return undefined;
  return luhnDigit(digits.slice(0, 15)) === Number(digits[15]) ? digits : undefined;
}

export const formatApplicationNumber = (number: string) => number.replace(/(\d{4})(?=\d)/g, "$1 ");
