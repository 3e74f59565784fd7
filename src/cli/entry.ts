// The process entry point: the only place that calls process.exit.
import { runCli } from "./main.ts";
import { createRuntime } from "./runtime.ts";

const argv = process.argv.slice(2);
const rt = createRuntime(process.env, process.stdout, process.stderr);
const code = await runCli(argv, rt);
process.exit(code);
