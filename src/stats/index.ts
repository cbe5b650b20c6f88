/** The workbench's statistics, pure TypeScript: distributions, intervals, tests and q-values. */
export { normalCdf, normalQuantile, studentTCdf, studentTQuantile, studentTTwoSided } from './distributions';
export {
  benjaminiHochberg,
  meanInterval,
  pairedDifference,
  proportionDifference,
  welchDifference,
  wilsonInterval,
  type BinomialCount,
  type DifferenceTest,
  type IntervalEstimate,
  type MeanInterval,
} from './intervals';
export { erfc, incompleteBeta, incompleteGamma, logBeta, logGamma } from './special';
