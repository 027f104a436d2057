import { gmailGate } from './helpers/env.mjs';
import { kDecideAsync } from '../lib/gate.js';
const g = gmailGate({ tools: { prefixes: { gmail_: 'gmail' }, unmapped: 'deny' } });
const step = process.argv[2];
if (step === 'a') console.log(g.gate.check('gmail_send_email', 'user_123'));
if (step === 'b') console.log(await g.gate[kDecideAsync]('gmail_send_email','user_123',(d,e)=>e('json')));
if (step === 'c') console.log(await g.gate.checkAsync('gmail_send_email','user_123'));
g.close();
console.log('end');
