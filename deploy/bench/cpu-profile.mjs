// Profiles the CPU of the process it is imported into (V8's sampling profiler, the one
// `node --cpu-prof` starts; that flag is refused in NODE_OPTIONS, an --import is not) and
// writes the profile, for Chrome DevTools or any .cpuprofile reader, after CPU_PROFILE_MS or
// at exit, whichever comes first. Every service of a bench run:
//   node deploy/bench/bench.mjs --only sends \
//     --set "NODE_OPTIONS=--import $PWD/deploy/bench/cpu-profile.mjs" --set CPU_PROFILE_DIR=/tmp/prof
//   CPU_PROFILE_DIR (required): where `<service>.<pid>.cpuprofile` goes
//   CPU_PROFILE_MS (60000): how long to profile from the start of the process
import { Session } from 'node:inspector';
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

const dir = process.env.CPU_PROFILE_DIR;
if (!dir) throw new Error('cpu-profile.mjs: set CPU_PROFILE_DIR');
const session = new Session();
session.connect();
// The in-process session answers synchronously, so the profile is written even from 'exit'.
session.post('Profiler.enable');
session.post('Profiler.setSamplingInterval', { interval: 200 });
session.post('Profiler.start');

let written = false;
function write() {
  if (written) return;
  written = true;
  session.post('Profiler.stop', (err, result) => {
    if (err) return;
    // services/<name>/dist/main.js -> <name>
    const main = process.argv[1];
    const name = main ? basename(dirname(dirname(main))) : 'node';
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${name}.${process.pid}.cpuprofile`), JSON.stringify(result.profile));
  });
}
setTimeout(write, Number(process.env.CPU_PROFILE_MS ?? 60_000)).unref();
process.on('exit', write);
