/**
 * The node's replica: the event loop around the Raft core (replica.ts), the replicated state
 * machine router and its command families (router.ts, command.ts), and the small KV map with the
 * member address book (kv-state-machine.ts).
 */
export { Replica } from './replica.ts';
export type { Removal, ReplicaOptions } from './replica.ts';
export { CommandRouter, createNodeStateMachine, engineProposal } from './router.ts';
export { CommandFamily, wrapCommand } from './command.ts';
export {
  KvStateMachine,
  kvPut,
  kvDelete,
  readUserValue,
  readAddressBook,
  readMemberAddress,
  setMemberAddress,
  deleteMemberAddress,
  USER_KEY_PREFIX,
  MEMBER_KEY_PREFIX,
} from './kv-state-machine.ts';
export type { KvResult } from './kv-state-machine.ts';
export type { ReplicaLogStore, ReplicaStateStore, ProposalResult, MemberInfo } from './types.ts';
export * from './errors.ts';
