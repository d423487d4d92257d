import { InputError } from "@qoltanba/pki";

const RESERVED = /[\s"'\\><~|&;$*?#()`]/;

/**
 * One Exec argument per the Desktop Entry Specification: quoted when it holds a reserved character
 * (with ", `, $ and \ escaped inside the quotes), % doubled, then the string-level escape of \.
 */
export function execArgument(argument: string): string {
  if (/[\n\r\0]/.test(argument))
    throw new InputError(
      "bad_argument",
      `an autostart argument cannot contain a line break: ${JSON.stringify(argument)}`,
    );
  const quoted =
    argument === "" || RESERVED.test(argument) ? `"${argument.replace(/["`$\\]/g, "\\$&")}"` : argument;
  return quoted.replace(/%/g, "%%").replace(/\\/g, "\\\\");
}

/** The XDG autostart entry that starts `command` when the person logs in to a desktop session. */
export function desktopEntry(command: readonly string[]): string {
  return [
    "[Desktop Entry]",
    "Type=Application",
    "Name=Qoltanba Agent",
    "Comment=Local signing agent for Qoltanba and NCALayer-compatible websites",
    `Exec=${command.map(execArgument).join(" ")}`,
    "Terminal=false",
    "NoDisplay=true",
    "X-GNOME-Autostart-enabled=true",
    "",
  ].join("\n");
}
