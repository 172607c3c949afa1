/** Reads a Server-Sent Events body: one `{ event, data }` per message; comments and `retry:` are skipped. */
import type { Readable } from 'node:stream';

export interface SseMessage {
  event: string;
  data: string;
}

export async function* readSse(body: Readable): AsyncGenerator<SseMessage> {
  const decoder = new TextDecoder();
  let pending = '';
  let event = 'message';
  let data: string[] = [];
  for await (const chunk of body) {
    pending += decoder.decode(chunk as Buffer, { stream: true });
    let end = pending.indexOf('\n');
    while (end >= 0) {
      const line = pending.slice(0, end).replace(/\r$/, '');
      pending = pending.slice(end + 1);
      end = pending.indexOf('\n');
      if (line === '') {
        if (data.length > 0) yield { event, data: data.join('\n') };
        event = 'message';
        data = [];
      } else if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
    }
  }
}
