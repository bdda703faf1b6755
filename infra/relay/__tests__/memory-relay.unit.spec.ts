import { relayContract } from '../contract/relay-contract.ts';
import { createMemoryRelay } from '../relay.ts';

relayContract('memory', () => createMemoryRelay({ retentionSeconds: 60 }));
