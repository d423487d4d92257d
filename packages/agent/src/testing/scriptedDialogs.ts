// Test-only: dialogs whose answers a test scripts, for what the unattended file cannot express
// (a person typing wrong passwords, choosing among keys, approving an origin "always").
import type { Dialogs, OriginDecision, PasswordQuestion } from "../dialogs/dialogs.ts";

export class ScriptedDialogs implements Dialogs {
  readonly asked: string[] = [];
  origin: OriginDecision | undefined = "once";
  file: string | undefined;
  folder: string | undefined;
  /** Answers to password prompts, in order; undefined when they run out (the person cancels). */
  passwords: string[] = [];
  newPasswords: string[] = [];
  keyChoice: number | undefined = 0;
  readonly passwordQuestions: PasswordQuestion[] = [];

  async approveOrigin(origin: string) {
    this.asked.push(`origin ${origin}`);
    return this.origin;
  }
  async chooseFile() {
    this.asked.push("file");
    return this.file;
  }
  async chooseFolder() {
    this.asked.push("folder");
    return this.folder;
  }
  async chooseStorage() {
    return 0;
  }
  async askPassword(question: PasswordQuestion) {
    this.asked.push("password");
    this.passwordQuestions.push(question);
    return this.passwords.shift();
  }
  async newPassword() {
    this.asked.push("new password");
    return this.newPasswords.shift();
  }
  async chooseKey() {
    this.asked.push("key");
    return this.keyChoice;
  }
  async inform() {}
}
