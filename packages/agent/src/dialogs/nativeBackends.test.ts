import { test } from "node:test";
import assert from "node:assert/strict";
import {
  AppleScriptBackend,
  KdialogBackend,
  PowerShellBackend,
  type ToolRunner,
  ZenityBackend,
} from "./nativeBackends.ts";

/** Records each tool call and answers from a script, as the person would through the real tool. */
function recorder(answers: Array<{ status: number; stdout: string }>) {
  const calls: Array<{ command: string; args: string[]; env?: Record<string, string> }> = [];
  const run: ToolRunner = async (command, args, env) => {
    calls.push({ command, args, ...(env ? { env } : {}) });
    return answers.shift() ?? { status: 1, stdout: "" };
  };
  return { calls, run };
}

test("zenity: list choice, hidden entry, file filter; a cancelled dialog is undefined", async () => {
  const { calls, run } = recorder([
    { status: 0, stdout: "2. Always allow\n" },
    { status: 0, stdout: "pass word\n" },
    { status: 0, stdout: "/home/a/RSA256_x.p12\n" },
    { status: 1, stdout: "" },
  ]);
  const zenity = new ZenityBackend(run);
  assert.equal(await zenity.choose("T", "text", ["Allow", "Always allow", "Deny"]), 1);
  assert.deepEqual(calls[0]!.args.slice(-3), ["1. Allow", "2. Always allow", "3. Deny"]);
  assert.equal(await zenity.secret("T", "Password of x"), "pass word");
  assert.ok(calls[1]!.args.includes("--hide-text"));
  assert.equal(
    await zenity.path("Key", { folder: false, extensions: ["p12", "pfx"], startDir: "/home/a" }),
    "/home/a/RSA256_x.p12",
  );
  assert.deepEqual(calls[2]!.args.slice(-4), ["--filename", "/home/a/", "--file-filter", "*.p12 *.pfx"]);
  assert.equal(await zenity.secret("T", "again"), undefined);
});

test("kdialog, osascript and PowerShell get texts as arguments or environment, never inside a script", async () => {
  const kdialog = recorder([{ status: 0, stdout: "3\n" }]);
  assert.equal(await new KdialogBackend(kdialog.run).choose("T", "pick", ["a", "b", "c"]), 2);
  assert.deepEqual(kdialog.calls[0]!.args, ["--title", "T", "--menu", "pick", "1", "a", "2", "b", "3", "c"]);

  const osa = recorder([{ status: 0, stdout: '1. key "quoted" & more\n' }]);
  const tricky = 'key "quoted" & more';
  assert.equal(await new AppleScriptBackend(osa.run).choose("T", "pick", [tricky]), 0);
  const script = osa.calls[0]!.args.filter((_, index, args) => args[index - 1] === "-e").join("\n");
  assert.ok(!script.includes(tricky));
  assert.deepEqual(osa.calls[0]!.args.slice(-3), ["T", "pick", `1. ${tricky}`]);

  const powershell = recorder([{ status: 0, stdout: "s3cret\r\n" }]);
  assert.equal(
    await new PowerShellBackend(powershell.run).secret("T", "Password of C:\\keys\\a.p12"),
    "s3cret",
  );
  assert.equal(powershell.calls[0]!.env!.QD_TEXT, "Password of C:\\keys\\a.p12");
  assert.ok(!powershell.calls[0]!.args.join(" ").includes("C:\\keys"));
});
