// tests/vscode/host.js — loads editors/vscode/extension.js as VS Code would,
// against a small stand-in for the `vscode` module (the parts of its API the
// extension calls), and drives a real `ringsim dap` through the adapter the
// extension describes.  What the extension does is printed for the C test
// (tests/test_dap.c) to compare with the terminal debugger:
//
//   node tests/vscode/host.js RINGSIM_BIN REPO_ROOT
//
// It registers a debug adapter for "ringsim" that must run `RINGSIM_BIN dap`
// in the workspace folder; three commands; and a tracker that appends the
// cycles after every stop.  The script launches the bundled kernel, breaks
// on the first page fault (the exception filter trap_page_fault), lets the
// tracker react to the stop, then runs "ringsim: Show the TLB" and prints
// the output channel.  Lines out: "command NAME", "adapter CMD ARGS… cwd=DIR",
// "stopped REASON", "channel LINE".  Any failure: a message and exit 1.
'use strict';
const path = require('path');
const Module = require('module');
const { spawn } = require('child_process');

const [bin, rootArg] = process.argv.slice(2);
const root = rootArg && path.resolve(rootArg);
if (!bin || !rootArg) {
  console.error('usage: node host.js RINGSIM_BIN REPO_ROOT');
  process.exit(2);
}
const fail = (why) => { console.error(`host.js: ${why}`); process.exit(1); };
setTimeout(() => fail('timed out'), 50000).unref();

// ---- the stand-in for VS Code's API -------------------------------------------
const channel = [];
const commands = new Map();
const factories = new Map();
const trackers = new Map();
class DebugAdapterExecutable {
  constructor(command, args, options) { Object.assign(this, { command, args, options }); }
}
const vscode = {
  DebugAdapterExecutable,
  window: {
    createOutputChannel: () => ({ appendLine: (l) => channel.push(l), show() {}, dispose() {} }),
    showWarningMessage: (m) => fail(`warning shown: ${m}`),
    showErrorMessage: (m) => fail(`error shown: ${m}`),
  },
  workspace: {
    getConfiguration: (section) => ({ get: (k) => (section === 'ringsim' && k === 'path' ? bin : undefined) }),
    workspaceFolders: [{ uri: { fsPath: root } }],
  },
  commands: {
    registerCommand: (name, fn) => { commands.set(name, fn); return { dispose() {} }; },
  },
  debug: {
    activeDebugSession: undefined,
    registerDebugAdapterDescriptorFactory: (type, f) => { factories.set(type, f); return { dispose() {} }; },
    registerDebugAdapterTrackerFactory: (type, f) => { trackers.set(type, f); return { dispose() {} }; },
  },
};
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return request === 'vscode' ? 'vscode' : resolve.call(this, request, ...rest);
};
require.cache.vscode = { id: 'vscode', filename: 'vscode', loaded: true, exports: vscode };

// ---- activate the extension as the extension host does -------------------------
const pkg = require(path.join(root, 'editors/vscode/package.json'));
const ext = require(path.join(root, 'editors/vscode', pkg.main));
const context = { subscriptions: [] };
ext.activate(context);
for (const c of pkg.contributes.commands) {
  if (!commands.has(c.command)) fail(`package.json contributes ${c.command} but activate() did not register it`);
  console.log(`command ${c.command}`);
}
const type = pkg.contributes.debuggers[0].type;
if (!factories.has(type) || !trackers.has(type)) fail(`no adapter factory or tracker for debug type ${type}`);

// ---- a DAP client on the adapter the extension describes -----------------------
const session = { type, name: 'host.js', customRequest: null };
const desc = factories.get(type).createDebugAdapterDescriptor(session, undefined);
if (!(desc instanceof DebugAdapterExecutable)) fail('the descriptor is not a DebugAdapterExecutable');
console.log(`adapter ${desc.command} ${desc.args.join(' ')} cwd=${desc.options && desc.options.cwd}`);
const child = spawn(desc.command, desc.args, { cwd: desc.options && desc.options.cwd, stdio: ['pipe', 'pipe', 'inherit'] });
const tracker = trackers.get(type).createDebugAdapterTracker(session);

let seq = 1;
let buf = Buffer.alloc(0);
const pending = new Map();
const waiting = [];
child.stdout.on('data', (d) => {
  buf = Buffer.concat([buf, d]);
  for (;;) {
    const end = buf.indexOf('\r\n\r\n');
    if (end < 0) return;
    const m = /Content-Length: *(\d+)/i.exec(buf.slice(0, end).toString());
    if (!m) fail('a message without Content-Length');
    const n = Number(m[1]);
    if (buf.length < end + 4 + n) return;
    const msg = JSON.parse(buf.slice(end + 4, end + 4 + n).toString());
    buf = buf.slice(end + 4 + n);
    if (tracker && tracker.onDidSendMessage) tracker.onDidSendMessage(msg);
    if (msg.type === 'response' && pending.has(msg.request_seq)) {
      const { ok, ko } = pending.get(msg.request_seq);
      pending.delete(msg.request_seq);
      if (msg.success) ok(msg.body || {});
      else ko(new Error(`${msg.command}: ${msg.message}`));
    } else if (msg.type === 'event') {
      for (let i = 0; i < waiting.length; i++) {
        if (waiting[i].event === msg.event) { waiting.splice(i, 1)[0].ok(msg.body || {}); break; }
      }
    }
  }
});
child.on('exit', (code) => { if (pending.size) fail(`ringsim dap exited (${code}) with requests pending`); });
const request = (command, args) => new Promise((ok, ko) => {
  const s = seq++;
  pending.set(s, { ok, ko });
  const body = Buffer.from(JSON.stringify({ seq: s, type: 'request', command, arguments: args || {} }));
  child.stdin.write(`Content-Length: ${body.length}\r\n\r\n`);
  child.stdin.write(body);
});
const event = (name) => new Promise((ok) => waiting.push({ event: name, ok }));
session.customRequest = request;

(async () => {
  await request('initialize', { adapterID: type, clientID: 'host.js' });
  const initialized = event('initialized');
  await request('launch', { type, request: 'launch', program: 'kernel', args: ['--mode', 'hw', '--mmu', 'nested'] });
  await initialized;
  await request('setExceptionBreakpoints', { filters: ['trap_page_fault'] });
  const stopped = event('stopped');
  await request('configurationDone');
  const st = await stopped;
  console.log(`stopped ${st.reason}`);
  vscode.debug.activeDebugSession = session;
  await request('threads');                    // the tracker's cycles request comes back meanwhile
  await commands.get('ringsim.showTlb')();
  await commands.get('ringsim.showCycles')();
  for (const l of channel) console.log(`channel ${l}`);
  await request('disconnect', {});
  child.stdin.end();
  for (const d of context.subscriptions) if (d && d.dispose) d.dispose();
  ext.deactivate();
  process.exit(0);
})().catch((e) => fail(e.message || String(e)));
