// extension.js — the ringsim debugger in VS Code: starts `ringsim dap` (the
// setting ringsim.path names the program) and shows the custom requests
// ringsim/tlb, ringsim/walk and ringsim/cycles in an output channel.  No
// dependencies beyond VS Code's own API.
'use strict';
const vscode = require('vscode');

function activate(context) {
  const channel = vscode.window.createOutputChannel('ringsim');
  context.subscriptions.push(channel);
  context.subscriptions.push(
    vscode.debug.registerDebugAdapterDescriptorFactory('ringsim', {
      createDebugAdapterDescriptor() {
        const program = vscode.workspace.getConfiguration('ringsim').get('path') || 'ringsim';
        const cwd = vscode.workspace.workspaceFolders ? vscode.workspace.workspaceFolders[0].uri.fsPath : undefined;
        return new vscode.DebugAdapterExecutable(program, ['dap'], cwd ? { cwd } : undefined);
      },
    }));
  const show = (request, title) => async () => {
    const session = vscode.debug.activeDebugSession;
    if (!session || session.type !== 'ringsim') {
      vscode.window.showWarningMessage('ringsim: no ringsim debug session is active');
      return;
    }
    try {
      const body = await session.customRequest(request);
      channel.appendLine(`== ${title}`);
      for (const line of body.lines || []) channel.appendLine(line);
      if (request === 'ringsim/cycles') channel.appendLine(JSON.stringify(body.byCause));
      channel.show(true);
    } catch (e) {
      vscode.window.showErrorMessage(`ringsim: ${e.message || e}`);
    }
  };
  context.subscriptions.push(vscode.commands.registerCommand('ringsim.showTlb', show('ringsim/tlb', 'TLB')));
  context.subscriptions.push(vscode.commands.registerCommand('ringsim.showWalk', show('ringsim/walk', 'Page walk')));
  context.subscriptions.push(vscode.commands.registerCommand('ringsim.showCycles', show('ringsim/cycles', 'Cycles')));
  // after every stop, refresh the cycles in the channel (cheap: one request)
  context.subscriptions.push(vscode.debug.registerDebugAdapterTrackerFactory('ringsim', {
    createDebugAdapterTracker(session) {
      return {
        onDidSendMessage(m) {
          if (m.type === 'event' && m.event === 'stopped') {
            session.customRequest('ringsim/cycles').then(
              (b) => channel.appendLine(`cycles ${b.cycles}, last: ${JSON.stringify(b.lastCommand)}`),
              () => {});
          }
        },
      };
    },
  }));
}

function deactivate() {}

module.exports = { activate, deactivate };
