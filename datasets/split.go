package datasets

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
)

// Fold is one train/test split: indices into the samples, ascending for
// the k-fold splits.
type Fold struct {
	Train, Test []int
}

// StratifiedKFold splits samples with labels y into nSplits folds, exactly
// like scikit-learn 1.2's StratifiedKFold(n_splits=nSplits).split(X, y):
// fold k's test set holds the same rows as scikit-learn's, and its train set
// the other rows. With rs == nil there is no shuffling (shuffle=False, the
// default, as in the thesis's chapter 5); with a generator it behaves like
// shuffle=True, random_state=<the generator's seed>.
//
// Classes are taken in order of first appearance; each class's samples are
// dealt to the folds in blocks, in index order, with per-fold counts given
// by a round robin over the sorted labels (scikit-learn's _make_test_folds).
// Like scikit-learn it fails if nSplits < 2, if nSplits exceeds the number
// of samples, or if every class has fewer than nSplits members (classes
// smaller than nSplits are allowed; scikit-learn warns about them).
func StratifiedKFold(y []int, nSplits int, rs *RandomState) ([]Fold, error) {
	testFolds, err := StratifiedKFoldAssignments(y, nSplits, rs)
	if err != nil {
		return nil, err
	}
	folds := make([]Fold, nSplits)
	for i, k := range testFolds {
		for j := range folds {
			if j == k {
				folds[j].Test = append(folds[j].Test, i)
			} else {
				folds[j].Train = append(folds[j].Train, i)
			}
		}
	}
	return folds, nil
}

// StratifiedKFoldAssignments returns the test fold (0..nSplits-1) of every
// sample, scikit-learn's StratifiedKFold._make_test_folds. See
// StratifiedKFold.
func StratifiedKFoldAssignments(y []int, nSplits int, rs *RandomState) ([]int, error) {
	n := len(y)
	if nSplits < 2 {
		return nil, fmt.Errorf("stratified k-fold: n_splits=%d, expected at least 2", nSplits)
	}
	if nSplits > n {
		return nil, fmt.Errorf("stratified k-fold: n_splits=%d greater than the number of samples %d", nSplits, n)
	}
	// Encode classes by order of first appearance.
	code := map[int]int{}
	enc := make([]int, n)
	var counts []int
	for i, v := range y {
		c, ok := code[v]
		if !ok {
			c = len(counts)
			code[v] = c
			counts = append(counts, 0)
		}
		enc[i] = c
		counts[c]++
	}
	nClasses := len(counts)
	if slices.Max(counts) < nSplits {
		return nil, fmt.Errorf("stratified k-fold: n_splits=%d greater than the number of members in each class", nSplits)
	}
	// allocation[f][k]: members of class k in y_order[f::nSplits].
	allocation := make([][]int, nSplits)
	for f := range allocation {
		allocation[f] = make([]int, nClasses)
	}
	pos := 0
	for k, c := range counts { // sorted encoded labels: counts[0] zeros, then ones...
		for j := 0; j < c; j++ {
			allocation[pos%nSplits][k]++
			pos++
		}
	}
	testFolds := make([]int, n)
	for k := 0; k < nClasses; k++ {
		var foldsForClass []int
		for f := 0; f < nSplits; f++ {
			for j := 0; j < allocation[f][k]; j++ {
				foldsForClass = append(foldsForClass, f)
			}
		}
		if rs != nil {
			rs.ShuffleInts(foldsForClass)
		}
		j := 0
		for i, c := range enc {
			if c == k {
				testFolds[i] = foldsForClass[j]
				j++
			}
		}
	}
	return testFolds, nil
}

// ShuffleSplit returns one random train/test split of n samples exactly
// like scikit-learn's ShuffleSplit (and train_test_split without stratify):
// p = rs.permutation(n); test = p[:nTest]; train = p[nTest:nTest+nTrain].
func ShuffleSplit(n, nTrain, nTest int, rs *RandomState) (train, test []int) {
	p := rs.Permutation(n)
	return p[nTest : nTest+nTrain], p[:nTest]
}

// StratifiedShuffleSplit returns one split of the samples with labels y
// into nTrain training and nTest test samples that keeps the class
// proportions, exactly like the first split of scikit-learn 1.2's
// StratifiedShuffleSplit with the same generator: per-class counts by
// _approximate_mode (ties broken with rs), then a permutation of each
// class's samples, then a permutation of the train and of the test
// indices. Calling it again with the same generator gives scikit-learn's
// next split.
func StratifiedShuffleSplit(y []int, nTrain, nTest int, rs *RandomState) (train, test []int, err error) {
	classes := slices.Clone(y)
	slices.Sort(classes)
	classes = slices.Compact(classes)
	nClasses := len(classes)
	index := make(map[int]int, nClasses)
	for i, c := range classes {
		index[c] = i
	}
	classIndices := make([][]int, nClasses) // ascending, like a stable argsort
	for i, v := range y {
		classIndices[index[v]] = append(classIndices[index[v]], i)
	}
	counts := make([]int, nClasses)
	for i, ci := range classIndices {
		counts[i] = len(ci)
		if len(ci) < 2 {
			return nil, nil, errors.New("stratified split: the least populated class in y has only 1 member, which is too few; the minimum number of groups for any class cannot be less than 2")
		}
	}
	if nTrain < nClasses {
		return nil, nil, fmt.Errorf("stratified split: train size %d should be greater or equal to the number of classes %d", nTrain, nClasses)
	}
	if nTest < nClasses {
		return nil, nil, fmt.Errorf("stratified split: test size %d should be greater or equal to the number of classes %d", nTest, nClasses)
	}
	if nTrain+nTest > len(y) {
		return nil, nil, fmt.Errorf("stratified split: train %d + test %d exceeds %d samples", nTrain, nTest, len(y))
	}
	nI := approximateMode(counts, nTrain, rs)
	remaining := make([]int, nClasses)
	for i := range counts {
		remaining[i] = counts[i] - nI[i]
	}
	tI := approximateMode(remaining, nTest, rs)
	for i := 0; i < nClasses; i++ {
		perm := rs.Permutation(counts[i])
		for j, p := range perm {
			switch {
			case j < nI[i]:
				train = append(train, classIndices[i][p])
			case j < nI[i]+tI[i]:
				test = append(test, classIndices[i][p])
			}
		}
	}
	return rs.PermuteInts(train), rs.PermuteInts(test), nil
}

// approximateMode is scikit-learn's _approximate_mode: nDraws distributed
// over the classes in proportion to counts, flooring, then adding the
// missing ones to the classes with the largest remainders, ties broken at
// random by rs.choice(..., replace=False).
func approximateMode(counts []int, nDraws int, rs *RandomState) []int {
	total := 0
	for _, c := range counts {
		total += c
	}
	continuous := make([]float64, len(counts))
	floored := make([]int, len(counts))
	remainder := make([]float64, len(counts))
	sum := 0
	for i, c := range counts {
		continuous[i] = float64(float64(c)/float64(total)) * float64(nDraws)
		f := math.Floor(continuous[i])
		floored[i] = int(f)
		remainder[i] = continuous[i] - f
		sum += floored[i]
	}
	need := nDraws - sum
	if need <= 0 {
		return floored
	}
	values := slices.Clone(remainder)
	sort.Sort(sort.Reverse(sort.Float64Slice(values)))
	values = slices.Compact(values)
	for _, v := range values {
		var inds []int
		for i, r := range remainder {
			if r == v {
				inds = append(inds, i)
			}
		}
		add := min(len(inds), need)
		for _, j := range rs.ChoiceWithoutReplacement(len(inds), add) {
			floored[inds[j]]++
		}
		need -= add
		if need == 0 {
			break
		}
	}
	return floored
}

// SplitSizes converts train and test sizes given as scikit-learn takes them
// into counts for n samples, like its _validate_shuffle_split: a size in
// (0, 1) is a fraction (test rounded up, train rounded down), a whole
// number >= 1 is a count, and 0 means "not given" (the complement of the
// other; if both are 0 the test size is defaultTest).
func SplitSizes(n int, trainSize, testSize, defaultTest float64) (nTrain, nTest int, err error) {
	if trainSize == 0 && testSize == 0 {
		testSize = defaultTest
	}
	kind := func(name string, v float64) (isFrac bool, err error) {
		switch {
		case v == 0:
			return false, nil
		case v > 0 && v < 1:
			return true, nil
		case v >= 1 && v == math.Trunc(v) && v < float64(n):
			return false, nil
		}
		return false, fmt.Errorf("%s=%v should be either positive and smaller than the number of samples %d or a float in the (0, 1) range", name, v, n)
	}
	testFrac, err := kind("test_size", testSize)
	if err != nil {
		return 0, 0, err
	}
	trainFrac, err := kind("train_size", trainSize)
	if err != nil {
		return 0, 0, err
	}
	if testFrac && trainFrac && trainSize+testSize > 1 {
		return 0, 0, fmt.Errorf("the sum of test_size and train_size = %v, should be in the (0, 1) range", trainSize+testSize)
	}
	var ft, fr float64
	if testFrac {
		ft = math.Ceil(testSize * float64(n))
	} else {
		ft = testSize
	}
	if trainFrac {
		fr = math.Floor(trainSize * float64(n))
	} else {
		fr = trainSize
	}
	if trainSize == 0 {
		fr = float64(n) - ft
	} else if testSize == 0 {
		ft = float64(n) - fr
	}
	if fr+ft > float64(n) {
		return 0, 0, fmt.Errorf("the sum of train_size and test_size = %d should be smaller than the number of samples %d", int(fr+ft), n)
	}
	nTrain, nTest = int(fr), int(ft)
	if nTrain == 0 {
		return 0, 0, fmt.Errorf("with n_samples=%d, test_size=%v and train_size=%v, the resulting train set would be empty", n, testSize, trainSize)
	}
	return nTrain, nTest, nil
}

// TrainTestSplit returns the indices of scikit-learn 1.2's
// train_test_split(range(n), train_size=trainSize, test_size=testSize,
// random_state=seed, stratify=stratify), bit for bit: sizes as in
// SplitSizes (default test size 0.25); without stratify it is ShuffleSplit,
// with stratify (len n) StratifiedShuffleSplit, both from
// NewRandomState(seed). X_train in scikit-learn is X[train].
//
// For example the thesis's MNIST split train_test_split(X, y,
// train_size=0.7, random_state=100) is TrainTestSplit(60000, 0.7, 0, 100,
// nil), and the chapter 5 figure split train_test_split(X, y,
// test_size=0.2, stratify=y, random_state=s) is TrainTestSplit(1000, 0,
// 0.2, s, y).
func TrainTestSplit(n int, trainSize, testSize float64, seed uint32, stratify []int) (train, test []int, err error) {
	if stratify != nil && len(stratify) != n {
		return nil, nil, fmt.Errorf("train_test_split: %d labels for %d samples", len(stratify), n)
	}
	nTrain, nTest, err := SplitSizes(n, trainSize, testSize, 0.25)
	if err != nil {
		return nil, nil, fmt.Errorf("train_test_split: %w", err)
	}
	rs := NewRandomState(seed)
	if stratify == nil {
		train, test = ShuffleSplit(n, nTrain, nTest, rs)
		return train, test, nil
	}
	train, test, err = StratifiedShuffleSplit(stratify, nTrain, nTest, rs)
	if err != nil {
		return nil, nil, fmt.Errorf("train_test_split: %w", err)
	}
	return train, test, nil
}
