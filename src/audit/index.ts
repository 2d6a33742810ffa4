// The audit chain's public face (docs/audit.md): verify it, record and show its state, resolve its key.
export { verifyAuditChain, type VerifyOptions, type VerifyProgress } from './verify.ts';
export { auditChainState, type AuditChainState } from './state.ts';
export { formatReport } from './format.ts';
export { lastVerification, recordVerification, type LastVerification, type Verifier } from './verification-record.ts';
export { AuditKeyError, DEVELOPMENT_AUDIT_KEY, MIN_AUDIT_KEY_LENGTH, resolveAuditKeys, type AuditKeys } from './key.ts';
export type { AuditProblem, AuditReport, AuditVerdict, HeadProblem, MessageProblem, TailProblem } from './report.ts';
