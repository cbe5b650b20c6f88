#!/usr/bin/env Rscript
# Reference values for test/unit/stats-moderation.test.ts and the moderated t
# of test/unit/stats-paired.test.ts, from R's limma (Debian r-bioc-limma
# 3.54.1, R 4.2): limma's own trigammaInverse, fitFDist and squeezeVar, and
# the moderated t assembled from them with R's pt/qt, as the TypeScript
# documents it (src/stats/moderated-t.ts). The tests never run this script:
# its printed values are written into them.
#
# Run: Rscript test/unit/reference/limma_reference.R
suppressPackageStartupMessages(library(limma))
options(digits = 17)
f <- function(x) formatC(x, digits = 17, format = "g")
v <- function(x) paste0("[", paste(sapply(x, f), collapse = ", "), "]")

cat("// digamma, trigamma, psigamma(deriv = 2) [x, ψ, ψ′, ψ″]\n")
for (x in c(0.5, 1, 2.5, 7, 13.5, 100, 1e-3, 1234.5)) cat(v(c(x, digamma(x), trigamma(x), psigamma(x, 2))), ",\n", sep = "")

cat("// trigammaInverse [x, y]\n")
for (x in c(0.05, 0.3, 1.2, 4.9, 30, 2e-7, 3e7)) cat(v(c(x, trigammaInverse(x))), ",\n", sep = "")

squeeze <- function(name, var, df) {
  s <- suppressWarnings(squeezeVar(var, df))
  cat("// ", name, ": df ", df, "\n", sep = "")
  cat("var: ", v(var), "\n", sep = "")
  cat("prior: scale ", f(s$var.prior), " df ", f(s$df.prior), "\n", sep = "")
  cat("posterior: ", v(s$var.post), "\n", sep = "")
}
squeeze("spread", c(0.05, 1.9, 0.35, 6.7, 1.1, 0.1, 9.2, 0.95, 1.3, 0.02), 2)
squeeze("moderate", c(0.3, 1.9, 0.5, 2.7, 1.1, 0.6, 4.2, 0.95, 1.3, 0.8, 6.5, 0.12), 4)
squeeze("one df", c(0.0004, 1.7, 0.6, 13.1, 0.9, 0.015, 2.2, 1.05), 1)
squeeze("pooled (d0 = Inf)", c(1.02, 0.98, 1.01, 0.99, 1.0, 1.03), 4)
squeeze("zeros", c(0, 0.5, 1.2, 0, 2.4, 0.8, 1.6), 2)
squeeze("two", c(0.5, 2), 3)

# The moderated t of src/stats/moderated-t.ts, from its inputs.
moderated <- function(name, estimate, seedVariance, floor, resolution, seedFactor, imageVariance, imageDf, df) {
  floors <- pmax(floor, resolution)
  ratios <- pmax(seedVariance, resolution) / floors
  s <- squeezeVar(ratios, df)
  seedDf <- min(s$df.prior + df, df * length(ratios))
  ratio <- pmax(1, s$var.post)
  seedPart <- seedFactor * ratio * floors
  variance <- seedPart + imageVariance
  nu <- ifelse(imageVariance > 0, variance^2 / (seedPart^2 / seedDf + imageVariance^2 / imageDf), seedDf)
  se <- sqrt(variance)
  half <- qt(0.975, nu) * se
  p <- 2 * pt(-abs(estimate / se), nu)
  cat("// moderated ", name, ": prior scale ", f(s$var.prior), " df ", f(s$df.prior), " seedDf ", f(seedDf), "\n", sep = "")
  for (k in seq_along(estimate)) cat(v(c(estimate[k] - half[k], estimate[k] + half[k], p[k], se[k], nu[k], ratio[k])), ",\n", sep = "")
}
moderated(
  "paired",
  estimate = c(-0.06, 0.01, -0.02, 0.004, 0.03, -0.11, 0.0, 0.015),
  seedVariance = c(0.0061, 0.0004, 0.0013, 0.00002, 0.0135, 0.0009, 0.0, 0.0016),
  floor = c(0.0011, 0.0007, 0.0009, 0.0002, 0.0012, 0.001, 0.00005, 0.0008),
  resolution = rep(1 / (3 * 200^2), 8),
  seedFactor = rep(1 / 3, 8),
  imageVariance = c(0.00004, 0, 0.00001, 0, 0.00012, 0.00002, 0, 0.00003),
  imageDf = rep(199, 8),
  df = 2
)
moderated(
  "unpaired",
  estimate = c(-0.04, 0.02, 0.05, -0.01, 0.0),
  seedVariance = c(0.0012, 0.0001, 0.0092, 0.0003, 0.0009),
  floor = c(0.0005, 0.0004, 0.0006, 0.0003, 0.0004),
  resolution = rep(0.5 / (100^2 * 3), 5),
  seedFactor = rep(1 / 2 + 1 / 3, 5),
  imageVariance = c(0.0001, 0, 0.00005, 0, 0.00002),
  imageDf = rep(99, 5),
  df = 3
)
