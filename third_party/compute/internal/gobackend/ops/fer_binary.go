// fer-thesis patch (not in upstream compute v0.1.3): float32 element-wise
// binary ops split across the backend's workers.

package ops

import (
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/internal/gobackend"
	"github.com/gomlx/compute/shapes"
)

type ferBinaryKernel func(lhs, rhs, output []float32, lhsShape, rhsShape, outputShape shapes.Shape)
type ferCompareKernel func(lhs, rhs []float32, output []bool, lhsShape, rhsShape, outputShape shapes.Shape)

type ferBinaryOp struct {
	opType      compute.OpType
	commutative bool
	kernel      ferBinaryKernel
	fallback    gobackend.NodeExecutor
}

type ferCompareOp struct {
	opType      compute.OpType
	commutative bool
	kernel      ferCompareKernel
	fallback    gobackend.NodeExecutor
}

// The float32 ops split across workers, with upstream's executors as the
// fallback for every other case (dtypes, broadcasting, small tensors).
var (
	ferBinaryOps = []ferBinaryOp{
		{compute.OpTypeAdd, true, execAddNumericGeneric[float32], execAdd},
		{compute.OpTypeMul, true, execMulNumericGeneric[float32], execMul},
		{compute.OpTypeSub, false, execSubNumericGeneric[float32], execSub},
		{compute.OpTypeDiv, false, execDivNumericGeneric[float32], execDiv},
		{compute.OpTypeMax, true, execMaxNumericGeneric[float32], execMax},
		{compute.OpTypeMin, true, execMinNumericGeneric[float32], execMin},
	}
	ferCompareOps = []ferCompareOp{
		{compute.OpTypeEqual, true, execEqualNumericGeneric[float32], execEqual},
		{compute.OpTypeNotEqual, true, execNotEqualNumericGeneric[float32], execNotEqual},
		{compute.OpTypeGreaterOrEqual, false, execGreaterOrEqualNumericGeneric[float32], execGreaterOrEqual},
		{compute.OpTypeGreaterThan, false, execGreaterThanNumericGeneric[float32], execGreaterThan},
		{compute.OpTypeLessOrEqual, false, execLessOrEqualNumericGeneric[float32], execLessOrEqual},
		{compute.OpTypeLessThan, false, execLessThanNumericGeneric[float32], execLessThan},
	}
)

func init() {
	for _, op := range ferBinaryOps {
		gobackend.SetNodeExecutor(op.opType, gobackend.PriorityTyped, ferParallelBinary(op.commutative, op.kernel, op.fallback))
	}
	for _, op := range ferCompareOps {
		gobackend.SetNodeExecutor(op.opType, gobackend.PriorityTyped, ferParallelCompare(op.commutative, op.kernel, op.fallback))
	}
}

// Commutative ops have no loop for a single-value left operand: the
// operands are swapped first, as upstream's executors do.

// ferSplit says how a float32 binary op can be cut into chunks.
type ferSplit int

const (
	ferNoSplit     ferSplit = iota
	ferElementwise          // same shapes, or one side a single value
	ferLHSRepeats           // lhs's values repeat along leading axes of rhs's shape (a bias or a per-channel scale)
	ferRHSRepeats           // rhs's values repeat along leading axes of lhs's shape
)

// ferSuffixPeriod returns the size of small if small's dimensions are 1 on
// leading axes and equal to full's on the rest (so that small's values repeat
// every period elements of full), or 0.
func ferSuffixPeriod(small, full shapes.Shape) int {
	if small.Rank() != full.Rank() {
		return 0
	}
	axis := 0
	for axis < full.Rank() && small.Dimensions[axis] == 1 {
		axis++
	}
	period := 1
	for ; axis < full.Rank(); axis++ {
		if small.Dimensions[axis] != full.Dimensions[axis] {
			return 0
		}
		period *= full.Dimensions[axis]
	}
	return period
}

// ferSplittable tells whether and how a float32 binary op can be cut into
// chunks: big enough to be worth it, and with same shapes, a single-value
// operand or one operand repeated along leading axes (with runs of at least
// 16 values); period is the repeated operand's size.
func ferSplittable(node *gobackend.Node, inputs []*gobackend.Buffer) (split ferSplit, period int) {
	if len(inputs) != 2 || node.Shape.IsDynamic() || node.Shape.Size() < 2*parallelMinElements {
		return ferNoSplit, 0
	}
	lhs, rhs := inputs[0], inputs[1]
	if lhs.RawShape.DType != dtypes.Float32 || rhs.RawShape.DType != dtypes.Float32 {
		return ferNoSplit, 0
	}
	lhsSize, rhsSize := lhs.RawShape.Size(), rhs.RawShape.Size()
	switch {
	case lhs.RawShape.Equal(rhs.RawShape) || lhsSize == 1 || rhsSize == 1:
		return ferElementwise, 0
	case lhsSize < rhsSize && rhsSize == node.Shape.Size():
		if p := ferSuffixPeriod(lhs.RawShape, rhs.RawShape); p >= 16 {
			return ferLHSRepeats, p
		}
	case rhsSize < lhsSize && lhsSize == node.Shape.Size():
		if p := ferSuffixPeriod(rhs.RawShape, lhs.RawShape); p >= 16 {
			return ferRHSRepeats, p
		}
	}
	return ferNoSplit, 0
}

// ferChunk returns the part [start, end) of x, or x itself when it is a
// single value (a broadcast scalar).
func ferChunk[T any](x []T, start, end int) []T {
	if len(x) == 1 {
		return x
	}
	return x[start:end]
}

// ferRun calls kernel on the elements [start, end) of the output, cutting at
// every period for an operand that repeats; the kernel then only sees equal
// shapes (its own loop for them) or a single value.
func ferRun[O any](kernel func(lhs, rhs []float32, output []O, lhsShape, rhsShape, outputShape shapes.Shape),
	split ferSplit, period int, l, r []float32, o []O, lhsShape, rhsShape, outShape shapes.Shape, start, end int) {
	if split == ferElementwise {
		kernel(ferChunk(l, start, end), ferChunk(r, start, end), o[start:end], lhsShape, rhsShape, outShape)
		return
	}
	rowShape := shapes.Make(dtypes.Float32, period)
	for row := start / period; row*period < end; row++ {
		s, e := row*period, (row+1)*period
		if split == ferLHSRepeats {
			kernel(l, r[s:e], o[s:e], rowShape, rowShape, rowShape)
		} else {
			kernel(l[s:e], r, o[s:e], rowShape, rowShape, rowShape)
		}
	}
}

// ferParallelRun splits the output o into chunks across the backend's
// workers (whole periods when an operand repeats) and runs ferRun on each.
// O is float32 for arithmetic ops and bool for comparisons.
func ferParallelRun[O any](backend *gobackend.Backend, kernel func(lhs, rhs []float32, output []O, lhsShape, rhsShape, outputShape shapes.Shape),
	split ferSplit, period int, l, r []float32, o []O, lhsShape, rhsShape, outShape shapes.Shape) {
	minChunk, rows := parallelMinElements, len(o)
	if period > 0 {
		minChunk, rows = max(1, parallelMinElements/period), len(o)/period
	}
	parallelFor(backend, rows, minChunk, func(start, end int) {
		if period > 0 {
			start, end = start*period, end*period
		}
		ferRun(kernel, split, period, l, r, o, lhsShape, rhsShape, outShape, start, end)
	})
}

// ferParallelBinary returns the executor of a float32 arithmetic op: split
// across workers when ferSplittable says so, else upstream's fallback.
func ferParallelBinary(commutative bool, kernel ferBinaryKernel, fallback gobackend.NodeExecutor) gobackend.NodeExecutor {
	return func(backend *gobackend.Backend, node *gobackend.Node, inputs []*gobackend.Buffer, inputsOwned []bool) (*gobackend.Buffer, error) {
		split, period := ferSplittable(node, inputs)
		if split == ferNoSplit {
			return fallback(backend, node, inputs, inputsOwned)
		}
		lhs, rhs, output, lhsIsScalarOr1, rhsIsScalarOr1 := binaryOperandsAndOutputForExecution(backend, node, inputs, inputsOwned, node.Shape)
		if split == ferElementwise && commutative && lhsIsScalarOr1 && !rhsIsScalarOr1 {
			lhs, rhs = rhs, lhs
		}
		l, r, o := lhs.Flat.([]float32), rhs.Flat.([]float32), output.Flat.([]float32)
		ferParallelRun(backend, kernel, split, period, l, r, o, lhs.RawShape, rhs.RawShape, output.RawShape)
		return output, nil
	}
}

// ferParallelCompare is ferParallelBinary for comparisons (bool output, no
// donated input buffer).
func ferParallelCompare(commutative bool, kernel ferCompareKernel, fallback gobackend.NodeExecutor) gobackend.NodeExecutor {
	return func(backend *gobackend.Backend, node *gobackend.Node, inputs []*gobackend.Buffer, inputsOwned []bool) (*gobackend.Buffer, error) {
		split, period := ferSplittable(node, inputs)
		if split == ferNoSplit {
			return fallback(backend, node, inputs, inputsOwned)
		}
		lhs, rhs := inputs[0], inputs[1]
		output, err := backend.GetBuffer(node.Shape)
		if err != nil {
			return nil, err
		}
		if split == ferElementwise && commutative && lhs.RawShape.Size() == 1 && rhs.RawShape.Size() != 1 {
			lhs, rhs = rhs, lhs
		}
		l, r, o := lhs.Flat.([]float32), rhs.Flat.([]float32), output.Flat.([]bool)
		ferParallelRun(backend, kernel, split, period, l, r, o, lhs.RawShape, rhs.RawShape, output.RawShape)
		return output, nil
	}
}
