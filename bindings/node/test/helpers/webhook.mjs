// Standard Webhooks signing, as Scalekit signs its deliveries: HMAC-SHA256 of
// "id.timestamp.body" keyed with the base64 part of "whsec_…".
import { createHmac, randomBytes } from 'node:crypto';

export const SECRET = `whsec_${randomBytes(24).toString('base64')}`;

export function sign(secret, id, timestamp, body) {
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const mac = createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest('base64');
  return `v1,${mac}`;
}

let serial = 0;

/**
 * A signed delivery of a status change of (connection, identifier). The
 * change occurred a second from now: after any provider answer the gate
 * holds, as a real change reported after the gate asked. (The gate drops,
 * rather than overwrites, an answer that an event does not postdate; a test
 * event made within the same millisecond as the answer would be such.)
 */
export function statusEvent(connection, identifier, status, { secret = SECRET, now = Math.floor(Date.now() / 1000) } = {}) {
  serial += 1;
  const id = `evt_node_${process.pid}_${serial}`;
  const body = JSON.stringify({
    id,
    type: 'connected_account.status_updated',
    occurred_at: new Date(Date.now() + 1000).toISOString(),
    data: { connection_name: connection, identifier, status },
  });
  const timestamp = String(now);
  return { secret, id, timestamp, signature: sign(secret, id, timestamp, body), body };
}
