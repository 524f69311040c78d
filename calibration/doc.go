// Package calibration measures and repairs how well a classifier's
// probabilities can be read as probabilities: chapter 7 of the thesis.
//
// A classifier can discriminate well (its argmax is usually right) and still be
// badly calibrated: when it says "90%" it may be right only 70% of the time.
// The package works on plain slices, one row per example: rows of K
// probabilities ([][]float64, or a flat slice reshaped with Rows) or rows of K
// logits (the outputs before softmax), with integer labels 0..K-1.
//
// Measuring:
//
//   - Reliability groups examples into M equal-width bins of confidence (the
//     largest probability of a row) and compares, in each bin, the mean
//     confidence with the accuracy: the data of a reliability diagram.
//     Bin m (1-based) is ((m-1)/M, m/M], as in Guo et al. (2017) and the
//     thesis; a confidence of exactly 0 goes to the first bin.
//   - ECE (expected calibration error) is the sample-weighted mean of
//     |accuracy − confidence| over the bins; MCE (maximum calibration error)
//     the largest of those gaps over non-empty bins.
//   - NLL (negative log-likelihood of the true labels) and Brier score are
//     proper scoring rules: they reward calibration and discrimination
//     together and need no binning.
//   - ClasswiseECE bins every class's probability, not just the top one.
//
// Repairing, all fitted on held-out (validation) data and applied to test data:
//
//   - FitTemperature finds the single T > 0 that minimises the NLL of
//     softmax(z/T) (temperature scaling, the method the thesis uses). Dividing
//     all logits by the same positive number never changes their order, so
//     accuracy is unchanged.
//   - FitHistogramBinning replaces the top confidence by the validation
//     accuracy of its bin (histogram binning, Zadrozny & Elkan 2001).
//   - FitVectorScaling learns a scale and a bias per class on the logits; it
//     is more flexible than one temperature, and it can change predictions.
//
// Bootstrap puts a percentile confidence interval around ECE (or any other
// statistic of the examples): with a few thousand test images ECE varies by
// a noticeable amount from one sample to another, which a single number hides.
package calibration
