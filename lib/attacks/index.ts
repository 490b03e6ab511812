// The `attacks` namespace: import { attacks } from 'torchmix'. FGSM, BIM, PGD (L∞ and L2) with
// torchattacks 3.5.1's conventions and defaults, and the robust-accuracy evaluation.
export { fgsm } from './fgsm.js';
export { bim, kurakinSteps } from './bim.js';
export { pgd } from './pgd.js';
export { pgdL2 } from './pgdl2.js';
export { ATTACKS, DEFAULT_EPS, evaluateAttack, type EvaluateAttackOptions, type AttackEvaluation } from './evaluate.js';
export { ATTACK_NAMES, RANGE_TOLERANCE, type AttackName, type AttackOptions, type Attack } from './common.js';
