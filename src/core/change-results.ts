/** What a change to the home reports (apply, capture, restore): shared by core, CLI and HTTP. */

export interface ApplyResult {
  commit: string;
  tag: string;
  /** False when the config was identical to the current restore point and no commit was made. */
  changed: boolean;
  dryRun: boolean;
  liveWritten: boolean;
  warnings: string[];
  /** Set when a failed health check rolled the change back. */
  rolledBackTo?: string;
}

export interface RestoreResult {
  commit: string;
  tag: string;
  restoredFrom: string;
  dryRun: boolean;
  liveWritten: boolean;
  warnings: string[];
}
