/** The workbench's statistics, pure TypeScript: distributions, the moderated t and its pieces, McNemar, intervals and q-values. */
export { betaQuantile, binomialTails, noncentralTCdf, normalCdf, normalQuantile, studentTCdf, studentTQuantile, studentTTwoSided } from './distributions';
export { meanSquares, satterthwaite, type CrossedTable, type MeanSquares } from './crossed';
export { benjaminiHochberg, proportionDifference, wilsonInterval, type BinomialCount, type IntervalEstimate } from './intervals';
export { clopperPearson, mcnemarExact, type McNemarTest } from './mcnemar';
export { moderatedTests, type ModeratedInput, type ModeratedTest, type ModeratedTests } from './moderated-t';
export { fitVariancePrior, squeezeVariances, trigammaInverse, type SqueezedVariances, type VariancePrior } from './moderation';
export { digamma, erfc, incompleteBeta, incompleteGamma, logBeta, logGamma, tetragamma, trigamma } from './special';
