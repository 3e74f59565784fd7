/**
 * Crash points for the crash tests: when CONFVAULT_FAILPOINT names this point (or a comma list
 * holds it), the process kills itself with SIGKILL right here, as a power cut would. Unset in
 * production; the check is one environment lookup.
 */
export function failpoint(name: string): void {
  const proc = (
    globalThis as {
      process?: {
        env?: Record<string, string | undefined>;
        pid: number;
        kill(pid: number, sig: string): void;
      };
    }
  ).process;
  const wanted = proc?.env?.CONFVAULT_FAILPOINT;
  if (!wanted || !proc) return;
  if (wanted.split(",").includes(name)) proc.kill(proc.pid, "SIGKILL");
}
