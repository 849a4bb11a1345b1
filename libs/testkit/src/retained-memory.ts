/** What a process keeps alive once a full garbage collection has run, in MiB. */
export interface RetainedMemory {
  /** V8 heap in use after the collection: objects still reachable. */
  readonly heapMiB: number;
  /** Memory of Buffers and typed arrays outside the V8 heap, after the collection. */
  readonly externalMiB: number;
  /** The process's resident set at that moment (V8 keeps freed pages a while, so this is not what is retained). */
  readonly rssMiB: number;
}

interface InspectorTarget {
  readonly webSocketDebuggerUrl: string;
}

interface InspectorReply {
  readonly id: number;
  readonly result?: { readonly result?: { readonly value?: unknown } };
  readonly error?: { readonly message: string };
}

const MiB = 1024 * 1024;

/**
 * Asks a Node process started with `--inspect=127.0.0.1:<port>` to run a full garbage collection, then reads its
 * memory. A leak test compares these figures: the resident set rises and falls with V8's heap sizing (tens of MiB
 * under load), what survives a full collection does not.
 */
export async function retainedMemory(inspectorPort: number): Promise<RetainedMemory> {
  const targets = (await (await fetch(`http://127.0.0.1:${inspectorPort}/json/list`)).json()) as InspectorTarget[];
  const url = targets[0]?.webSocketDebuggerUrl;
  if (url === undefined) throw new Error(`no inspector target on port ${inspectorPort}`);
  const socket = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    socket.addEventListener('open', () => resolve(), { once: true });
    socket.addEventListener('error', () => reject(new Error(`cannot connect to the inspector at ${url}`)), {
      once: true,
    });
  });
  try {
    const call = inspectorCaller(socket);
    await call('HeapProfiler.collectGarbage', {});
    const reply = await call('Runtime.evaluate', {
      expression: 'JSON.stringify(process.memoryUsage())',
      returnByValue: true,
    });
    const usage = JSON.parse(String(reply.result?.result?.value)) as NodeJS.MemoryUsage;
    return { heapMiB: usage.heapUsed / MiB, externalMiB: usage.external / MiB, rssMiB: usage.rss / MiB };
  } finally {
    socket.close();
  }
}

/** Sends Chrome DevTools Protocol commands over `socket`, one at a time, resolving with each reply. */
function inspectorCaller(socket: WebSocket) {
  let next = 0;
  return (method: string, params: object) =>
    new Promise<InspectorReply>((resolve, reject) => {
      const id = ++next;
      const onMessage = (event: MessageEvent) => {
        const reply = JSON.parse(String(event.data)) as InspectorReply;
        if (reply.id !== id) return;
        socket.removeEventListener('message', onMessage);
        if (reply.error !== undefined) reject(new Error(`${method}: ${reply.error.message}`));
        else resolve(reply);
      };
      socket.addEventListener('message', onMessage);
      socket.send(JSON.stringify({ id, method, params }));
    });
}
