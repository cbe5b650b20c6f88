#!/usr/bin/env Rscript
# The analysis fixture of test/unit/analysis.test.ts and its expected numbers,
# computed in R independently of the TypeScript: R's aov for the seeds x
# images analyses of variance, limma's squeezeVar for the moderation, pt/qt,
# binom.test for McNemar's exact test and its Clopper-Pearson interval, and
# p.adjust(method = "BH") over the study's families. The method is the one
# src/study/comparison-stats.ts documents.
#
# Writes test/unit/reference/analysis-fixture.json (labels and per-run
# predictions, read by the test) and prints the expected values.
# Run: Rscript test/unit/reference/analysis_reference.R
suppressPackageStartupMessages({
  library(limma)
  library(jsonlite)
})
options(digits = 17)
f <- function(x) ifelse(is.finite(x), formatC(x, digits = 17, format = "g"), ifelse(is.na(x), "NaN", ifelse(x > 0, "Infinity", "-Infinity")))
v <- function(x) paste0("[", paste(trimws(sapply(x, f)), collapse = ", "), "]")

# ---------------------------------------------------------------- the fixture
set.seed(10)
K <- 4
n <- 40
classes <- c("cat", "dog, spotted", "barn \"spider\"", "truck")
labels <- sample(rep(0:(K - 1), each = n)) # test order mixes the classes
difficulty <- rnorm(K * n, 0, 1.5)
base_logit <- c(1.6, 0.8, 0.9, 2.4)
effects <- list(
  base = c(0, 0, 0, 0),
  crop = c(0.3, -0.2, -2.2, 0),
  wd = c(0, 0.2, -0.5, 0),
  "crop-half" = c(0.2, -0.3, -0.9, 0.1),
  "crop-wd" = c(0.4, -0.6, -2.0, 0.2),
  r18 = c(-1, -1, -1, -1)
)
seeds <- list(base = 0:2, crop = 0:2, wd = 3:5, "crop-half" = 1:3, "crop-wd" = 0, r18 = 0)
seed_class <- matrix(rnorm(6 * K, 0, 0.3), 6, K) # per-seed class effect shared by configs of that seed
runs <- list()
for (name in names(effects)) {
  for (s in seeds[[name]]) {
    own <- rnorm(K, 0, 0.25)
    eta <- base_logit[labels + 1] + difficulty + seed_class[s + 1, labels + 1] + own[labels + 1] + effects[[name]][labels + 1]
    right <- runif(K * n) < plogis(eta)
    wrong_class <- (labels + 1 + floor(runif(K * n) * (K - 1))) %% K
    predictions <- ifelse(right, labels, wrong_class)
    runs[[length(runs) + 1]] <- list(config = name, seed = s, predictions = as.integer(predictions))
  }
}
write_json(list(classes = classes, labels = as.integer(labels), runs = runs), "test/unit/reference/analysis-fixture.json", auto_unbox = TRUE, pretty = FALSE)

# ---------------------------------------------------------------- the method
correct_of <- function(name, s) {
  r <- Filter(function(x) x$config == name && x$seed == s, runs)[[1]]
  as.integer(r$predictions == labels)
}
ms_of <- function(table) {
  # table: seeds x images; two-way ANOVA without replication
  S <- nrow(table)
  m <- ncol(table)
  d <- data.frame(value = as.vector(table), seed = factor(rep(1:S, m)), image = factor(rep(1:m, each = S)))
  a <- summary(aov(value ~ seed + image, data = d))[[1]]
  ms <- a[["Mean Sq"]]
  list(seed = ms[1], image = ms[2], residual = if (length(ms) > 2) ms[3] else 0)
}
satterthwaite <- function(vars, dfs) {
  keep <- vars > 0
  if (!any(keep)) return(Inf)
  sum(vars[keep])^2 / sum(vars[keep]^2 / dfs[keep])
}
clip <- function(x, lo, hi) pmin(hi, pmax(lo, x))
wilson <- function(k, m) {
  z <- qnorm(0.975)
  p <- k / m
  z2n <- z^2 / m
  center <- (p + z2n / 2) / (1 + z2n)
  half <- z / (1 + z2n) * sqrt(p * (1 - p) / m + z2n / (4 * m))
  c(p, if (k == 0) 0 else max(0, center - half), if (k == m) 1 else min(1, center + half))
}
accuracy <- function(name, ss, k) {
  idx <- which(labels == k)
  y <- t(sapply(ss, function(s) correct_of(name, s)[idx]))
  if (length(ss) == 1) return(wilson(sum(y), n))
  S <- length(ss)
  est <- mean(y)
  spread <- var(rowMeans(y))
  ms <- ms_of(y)
  seed_part <- max(spread, ms$residual / n) / S
  image_part <- max(0, ms$image - ms$residual) / (n * S)
  if (seed_part + image_part == 0) return(c(est, wilson(round(est * n), n)[2:3]))
  df <- satterthwaite(c(seed_part, image_part), c(S - 1, n - 1))
  half <- qt(0.975, df) * sqrt(seed_part + image_part)
  c(est, clip(est - half, 0, 1), clip(est + half, 0, 1))
}
moderated <- function(inputs, df) {
  floors <- pmax(inputs$floor, inputs$resolution)
  ratios <- pmax(inputs$seedVariance, inputs$resolution) / floors
  s <- squeezeVar(ratios, df)
  seed_df <- min(s$df.prior + df, df * length(ratios))
  ratio <- pmax(1, s$var.post)
  seed_part <- inputs$seedFactor * ratio * floors
  variance <- seed_part + inputs$imageVariance
  nu <- sapply(seq_along(variance), function(k) satterthwaite(c(seed_part[k], inputs$imageVariance[k]), c(seed_df, inputs$imageDf[k])))
  se <- sqrt(variance)
  half <- qt(0.975, nu) * se
  list(low = clip(inputs$estimate - half, -1, 1), high = clip(inputs$estimate + half, -1, 1), p = 2 * pt(-abs(inputs$estimate / se), nu), se = se, df = nu,
       seedVariance = ratio * floors, prior = s, seedDf = seed_df)
}
paired <- function(bname, tname, ss) {
  S <- length(ss)
  inputs <- data.frame()
  for (k in 0:(K - 1)) {
    idx <- which(labels == k)
    z <- t(sapply(ss, function(s) correct_of(tname, s)[idx] - correct_of(bname, s)[idx]))
    d <- rowMeans(z)
    ms <- ms_of(z)
    inputs <- rbind(inputs, data.frame(estimate = mean(d), seedVariance = var(d), floor = ms$residual / n, resolution = 1 / (S * n^2), seedFactor = 1 / S,
                                       imageVariance = max(0, ms$image - ms$residual) / (n * S), imageDf = n - 1))
  }
  m <- moderated(inputs, S - 1)
  # the mean delta: per-seed class-averaged deltas, floored at the classes' floors averaged, plus the image parts
  D <- sapply(ss, function(s) mean(sapply(0:(K - 1), function(k) { idx <- which(labels == k); mean(correct_of(tname, s)[idx] - correct_of(bname, s)[idx]) })))
  floor <- sum(pmax(inputs$floor, inputs$resolution)) / K^2
  seed_part <- max(var(D), floor) / S
  image <- inputs$imageVariance / K^2
  df <- satterthwaite(c(seed_part, image), c(S - 1, inputs$imageDf))
  half <- qt(0.975, df) * sqrt(seed_part + sum(image))
  list(inputs = inputs, m = m, mean = c(mean(D), clip(mean(D) - half, -1, 1), clip(mean(D) + half, -1, 1)), bseeds = ss, tseeds = ss)
}
unpaired <- function(bname, tname) {
  bs <- seeds[[bname]]
  ts <- seeds[[tname]]
  St <- length(ts)
  Sb <- length(bs)
  pooled_df <- St + Sb - 2
  inputs <- data.frame()
  for (k in 0:(K - 1)) {
    idx <- which(labels == k)
    yt <- t(sapply(ts, function(s) correct_of(tname, s)[idx]))
    yb <- t(sapply(bs, function(s) correct_of(bname, s)[idx]))
    at <- rowMeans(yt)
    ab <- rowMeans(yb)
    mt <- ms_of(yt)
    mb <- ms_of(yb)
    diffs <- colMeans(yt) - colMeans(yb)
    inputs <- rbind(inputs, data.frame(
      estimate = mean(at) - mean(ab),
      seedVariance = ((St - 1) * var(at) + (Sb - 1) * var(ab)) / pooled_df,
      floor = ((St - 1) * mt$residual + (Sb - 1) * mb$residual) / pooled_df / n,
      resolution = (min(St, Sb) - 1) / min(St, Sb) / (n^2 * pooled_df),
      seedFactor = 1 / St + 1 / Sb,
      imageVariance = max(0, var(diffs) - mt$residual / St - mb$residual / Sb) / n,
      imageDf = n - 1
    ))
  }
  m <- moderated(inputs, pooled_df)
  avg <- function(name, s) mean(sapply(0:(K - 1), function(k) mean(correct_of(name, s)[labels == k])))
  At <- sapply(ts, function(s) avg(tname, s))
  Ab <- sapply(bs, function(s) avg(bname, s))
  floor <- sum(pmax(inputs$floor, inputs$resolution)) / K^2
  pooled <- ((St - 1) * var(At) + (Sb - 1) * var(Ab)) / pooled_df
  seed_part <- max(pooled, floor) * (1 / St + 1 / Sb)
  image <- inputs$imageVariance / K^2
  df <- satterthwaite(c(seed_part, image), c(pooled_df, inputs$imageDf))
  est <- mean(At) - mean(Ab)
  half <- qt(0.975, df) * sqrt(seed_part + sum(image))
  list(inputs = inputs, m = m, mean = c(est, clip(est - half, -1, 1), clip(est + half, -1, 1)), bseeds = bs, tseeds = ts)
}
model_vs_model <- function(bname, tname, sb, st) {
  out <- list()
  parts <- c()
  for (k in 0:(K - 1)) {
    idx <- which(labels == k)
    z <- correct_of(tname, st)[idx] - correct_of(bname, sb)[idx]
    b <- sum(z > 0)
    c <- sum(z < 0)
    test <- binom.test(b, b + c)
    ci <- test$conf.int
    out[[k + 1]] <- c((b - c) / n, (b + c) / n * (2 * ci[1] - 1), (b + c) / n * (2 * ci[2] - 1), test$p.value, b + c)
    parts <- c(parts, ((b + c) / n - ((b - c) / n)^2) / n / K^2)
  }
  est <- mean(sapply(out, function(x) x[1]))
  df <- satterthwaite(parts, rep(n - 1, K))
  half <- qt(0.975, df) * sqrt(sum(parts))
  list(classes = out, mean = c(est, est - half, est + half))
}

# ---------------------------------------------------------------- the study
comparisons <- list(
  crop = paired("base", "crop", 0:2),
  wd = unpaired("base", "wd"),
  "crop-half" = paired("base", "crop-half", 1:2)
)
ps <- unlist(lapply(comparisons, function(c) c$m$p))
qs <- p.adjust(ps, method = "BH")
j <- 0
for (name in names(comparisons)) {
  c <- comparisons[[name]]
  cat("// ", name, ": prior df ", f(c$m$prior$df.prior), " scale ", f(c$m$prior$var.prior), " seedDf ", f(c$m$seedDf), "\n", sep = "")
  cat("   mean delta ", v(c$mean), "\n", sep = "")
  for (k in 0:(K - 1)) {
    j <- j + 1
    b <- accuracy("base", c$bseeds, k)
    t <- accuracy(name, c$tseeds, k)
    cat("   class ", k, ": base ", v(b), " treat ", v(t), "\n", sep = "")
    cat("     delta ", v(c(c$inputs$estimate[k + 1], c$m$low[k + 1], c$m$high[k + 1])), " p ", f(c$m$p[k + 1]), " q ", f(qs[j]), " se ", f(c$m$se[k + 1]), " df ", f(c$m$df[k + 1]),
        " seedSd ", f(sqrt(c$m$seedVariance[k + 1])), "\n", sep = "")
  }
}
mvm <- model_vs_model("base", "crop-wd", 0, 0)
mq <- p.adjust(sapply(mvm$classes, function(x) x[4]), method = "BH")
cat("// crop-wd (model vs model, seed 0): mean delta ", v(mvm$mean), "\n", sep = "")
for (k in 0:(K - 1)) {
  x <- mvm$classes[[k + 1]]
  cat("   class ", k, ": base ", v(wilson(sum(correct_of("base", 0)[labels == k]), n)), " treat ", v(wilson(sum(correct_of("crop-wd", 0)[labels == k]), n)), "\n", sep = "")
  cat("     delta ", v(x[1:3]), " p ", f(x[4]), " q ", f(mq[k + 1]), " discordant ", x[5], "\n", sep = "")
}

# ---------------------------------------------------------------- counts only
# The crop comparison again with no per-image predictions: the floor is the two
# accuracies' binomial spread added, there is no image part, and the
# accuracies add p(1 - p)/n for the images' sampling.
counts_paired <- function(bname, tname, ss) {
  S <- length(ss)
  cnt <- function(name, s, k) sum(correct_of(name, s)[labels == k])
  inputs <- data.frame()
  for (k in 0:(K - 1)) {
    d <- sapply(ss, function(s) (cnt(tname, s, k) - cnt(bname, s, k)) / n)
    pb <- mean(sapply(ss, function(s) cnt(bname, s, k))) / n
    pt_ <- mean(sapply(ss, function(s) cnt(tname, s, k))) / n
    inputs <- rbind(inputs, data.frame(estimate = mean(d), seedVariance = var(d), floor = (pb * (1 - pb) + pt_ * (1 - pt_)) / n, resolution = 1 / (S * n^2),
                                       seedFactor = 1 / S, imageVariance = 0, imageDf = n - 1))
  }
  m <- moderated(inputs, S - 1)
  cat("// counts only, ", tname, ": prior df ", f(m$prior$df.prior), " scale ", f(m$prior$var.prior), "\n", sep = "")
  for (k in 0:(K - 1)) {
    acc <- function(name) {
      a <- sapply(ss, function(s) cnt(name, s, k)) / n
      est <- mean(a)
      seed_part <- var(a) / S
      image_part <- est * (1 - est) / n
      df <- satterthwaite(c(seed_part, image_part), c(S - 1, n - 1))
      half <- qt(0.975, df) * sqrt(seed_part + image_part)
      c(est, clip(est - half, 0, 1), clip(est + half, 0, 1))
    }
    cat("   class ", k, ": base ", v(acc(bname)), " treat ", v(acc(tname)), " delta ", v(c(inputs$estimate[k + 1], m$low[k + 1], m$high[k + 1])), " p ", f(m$p[k + 1]), "\n", sep = "")
  }
}
counts_paired("base", "crop", 0:2)
