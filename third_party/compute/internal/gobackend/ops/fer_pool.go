// fer-thesis patch (not in upstream compute v0.1.3): ReduceWindow (max) and
// SelectAndScatterMax for float32 max-pooling over the two middle axes of a
// rank-4 [batch, height, width, channels] tensor — window and stride 1 on
// the batch and channel axes, no padding, no dilation: the layout and kind
// of the thesis's CNNs. Upstream's executors step an index iterator over
// every window cell of every output element; these read each window cell's
// row of channels in place and split the work across workers. See
// third_party/compute/FER_PATCHES.md in the fer-thesis repository.
//
// The results are upstream's bit for bit. The forward pass starts each
// output at the dtype's lowest value and takes Go's max with every window
// cell, as upstream does (max is exact, so the order of the cells does not
// matter). The gradient visits the source (output-gradient) elements in
// upstream's row-major order, picks in each window the first cell in
// row-major order unless a later one is greater or NaN (upstream's rule),
// and adds the source value to it: every input cell receives its terms in
// the order of upstream's loop, starting from zero. (Upstream itself splits
// the gradient of a single batch element across workers and adds their
// partial outputs, which can round differently in the last bit; batches of
// more are split by element, in this order.)

package ops

import (
	"math"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/internal/gobackend"
)

func init() {
	gobackend.SetNodeExecutor(compute.OpTypeReduceWindow, gobackend.PriorityTyped, execFerReduceWindow)
	gobackend.SetNodeExecutor(compute.OpTypeSelectAndScatterMax, gobackend.PriorityTyped, execFerSelectAndScatterMax)
	gobackend.FerFastMaxPool = true
}

// ferPool2D is the geometry of a max-pool ferPoolNHWC accepts.
type ferPool2D struct {
	batch, h, w, c int // input
	kh, kw, sh, sw int // window and strides of the spatial axes
	oh, ow         int // output
}

// ferPoolNHWC reports whether a window operation on a float32 input of the
// given dimensions pools only the two middle axes of a rank-4 tensor, with
// no padding and no dilation, and returns its geometry.
func ferPoolNHWC(dtype dtypes.DType, dims, window, strides []int, paddings [][2]int, dilations ...[]int) (ferPool2D, bool) {
	var p ferPool2D
	if dtype != dtypes.Float32 || len(dims) != 4 || len(window) != 4 {
		return p, false
	}
	if strides == nil {
		strides = window
	}
	if len(strides) != 4 || window[0] != 1 || window[3] != 1 || strides[0] != 1 || strides[3] != 1 {
		return p, false
	}
	for _, pad := range paddings {
		if pad != [2]int{} {
			return p, false
		}
	}
	for _, d := range dilations {
		for _, v := range d {
			if v != 1 {
				return p, false
			}
		}
	}
	p = ferPool2D{batch: dims[0], h: dims[1], w: dims[2], c: dims[3], kh: window[1], kw: window[2], sh: strides[1], sw: strides[2]}
	if p.kh < 1 || p.kw < 1 || p.sh < 1 || p.sw < 1 || p.kh > p.h || p.kw > p.w {
		return p, false
	}
	p.oh, p.ow = (p.h-p.kh)/p.sh+1, (p.w-p.kw)/p.sw+1
	return p, true
}

// execFerReduceWindow runs max-pools ferPoolNHWC accepts; everything else
// goes to upstream's executor.
func execFerReduceWindow(backend *gobackend.Backend, node *gobackend.Node, inputs []*gobackend.Buffer, inputsOwned []bool) (*gobackend.Buffer, error) {
	op, ok := node.Data.(*reduceWindowNode)
	if !ok || op.reductionType != compute.ReduceOpMax || len(inputs) != 1 || node.Shape.IsDynamic() {
		return execReduceWindow(backend, node, inputs, inputsOwned)
	}
	in := inputs[0].RawShape
	p, ok := ferPoolNHWC(in.DType, in.Dimensions, op.windowDimensions, op.strides, op.paddings, op.inputDilations, op.windowDilations)
	if !ok || node.Shape.DType != dtypes.Float32 || node.Shape.Size() != p.batch*p.oh*p.ow*p.c {
		return execReduceWindow(backend, node, inputs, inputsOwned)
	}
	output, err := backend.GetBuffer(node.Shape)
	if err != nil {
		return nil, err
	}
	ferMaxPoolForward(backend, p, inputs[0].Flat.([]float32), output.Flat.([]float32))
	return output, nil
}

// ferMaxPoolForward writes the max-pool of x into y; rows of the output
// (one batch element and output row each) are split across workers.
func ferMaxPoolForward(backend *gobackend.Backend, p ferPool2D, x, y []float32) {
	lowest := dtypes.Float32.LowestValue().(float32)
	c := p.c
	parallelFor(backend, p.batch*p.oh, max(1, parallelMinElements/max(1, p.ow*c*p.kh*p.kw)), func(start, end int) {
		for row := start; row < end; row++ {
			b, oi := row/p.oh, row%p.oh
			for oj := range p.ow {
				base := ((b*p.h+oi*p.sh)*p.w + oj*p.sw) * c
				ferMaxWindow(x, base, p.w*c, c, p.kh, p.kw, c, lowest, y[(row*p.ow+oj)*c:][:c])
			}
		}
	})
}

// ferMaxWindow writes to dst[0:n] the maximum, from lowest, over the kh×kw
// window cells of n channels starting at x[base] (cells cellStride values
// apart in a row, rows rowStride values apart), with Go's max:
// ferMaxWindowScalar, or its AVX2 form (fer_pool_max_amd64.go), whose
// results are the same bits.
var ferMaxWindow = ferMaxWindowScalar

// ferMaxWindowScalar is ferMaxWindow's loop.
func ferMaxWindowScalar(x []float32, base, rowStride, cellStride, kh, kw, n int, lowest float32, dst []float32) {
	dst = dst[:n]
	for k := range dst {
		dst[k] = lowest
	}
	for di := range kh {
		for dj := range kw {
			src := x[base+di*rowStride+dj*cellStride:][:n]
			for k, v := range src {
				dst[k] = max(dst[k], v)
			}
		}
	}
}

// execFerSelectAndScatterMax runs the gradients of max-pools ferPoolNHWC
// accepts; everything else goes to upstream's executor.
func execFerSelectAndScatterMax(backend *gobackend.Backend, node *gobackend.Node, inputs []*gobackend.Buffer, inputsOwned []bool) (*gobackend.Buffer, error) {
	op, ok := node.Data.(*selectAndScatterNode)
	if !ok || op.isMin || len(inputs) != 2 || node.Shape.IsDynamic() {
		return execSelectAndScatter(backend, node, inputs, inputsOwned)
	}
	in, src := inputs[0].RawShape, inputs[1].RawShape
	p, ok := ferPoolNHWC(in.DType, in.Dimensions, op.windowDimensions, op.strides, op.paddings)
	if !ok || src.DType != dtypes.Float32 || src.Size() != p.batch*p.oh*p.ow*p.c || node.Shape.Size() != in.Size() || node.Shape.DType != dtypes.Float32 ||
		in.Size() > math.MaxInt32 { // cell indices are int32
		return execSelectAndScatter(backend, node, inputs, inputsOwned)
	}
	output, err := backend.GetBuffer(node.Shape)
	if err != nil {
		return nil, err
	}
	ferMaxPoolBackward(backend, p, inputs[0].Flat.([]float32), inputs[1].Flat.([]float32), output.Flat.([]float32))
	return output, nil
}

// ferMaxPoolBackward writes into dx (shaped like x) the gradient of the
// max-pool of x for the output gradient dy. Batch elements, whose windows
// never share an input cell, are split across workers.
func ferMaxPoolBackward(backend *gobackend.Backend, p ferPool2D, x, dy, dx []float32) {
	c := p.c
	plane := p.h * p.w * c
	parallelFor(backend, p.batch, 1, func(start, end int) {
		bestV := make([]float32, c)
		bestAt := make([]int32, c)
		for b := start; b < end; b++ {
			// Cleared just before its windows add into it, so that it is
			// still in cache (a worker's whole range of planes is larger
			// than L2).
			clear(dx[b*plane : (b+1)*plane])
			for oi := range p.oh {
				for oj := range p.ow {
					for di := range p.kh {
						base := ((b*p.h+oi*p.sh+di)*p.w + oj*p.sw) * c
						for dj := range p.kw {
							at := base + dj*c
							src := x[at:][:c]
							if di == 0 && dj == 0 {
								copy(bestV, src)
								for k := range bestAt {
									bestAt[k] = int32(at + k)
								}
								continue
							}
							ferPoolSelect(src, bestV, bestAt, int32(at))
						}
					}
					g := dy[((b*p.oh+oi)*p.ow+oj)*c:][:c]
					for k, v := range g {
						dx[bestAt[k]] += v
					}
				}
			}
		}
	})
}

// ferPoolSelect is ferPoolSelectScalar, or its AVX2 form
// (fer_pool_amd64.go) where the CPU and the build have it.
var ferPoolSelect = ferPoolSelectScalar

// ferPoolSelectScalar updates, channel by channel, the best value and flat
// index of a window with one more of its cells (src, whose channel k is at
// flat index at+k): the cell wins if greater than the best so far or NaN
// (upstream's rule). Branch-free, since the outcome is unpredictable: mask
// is all ones where the cell wins and picks its bits and index.
func ferPoolSelectScalar(src, bestV []float32, bestAt []int32, at int32) {
	bestV, bestAt = bestV[:len(src)], bestAt[:len(src)]
	for k, v := range src {
		b := bestV[k]
		var win uint32
		if v > b {
			win = 1
		}
		if v != v {
			win = 1
		}
		mask := -win
		vb, bb := math.Float32bits(v), math.Float32bits(b)
		bestV[k] = math.Float32frombits(bb ^ (mask & (vb ^ bb)))
		bestAt[k] ^= int32(mask) & ((at + int32(k)) ^ bestAt[k])
	}
}
