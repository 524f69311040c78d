// fer-thesis patch (not in upstream compute v0.1.3): ConvGeneral for float32
// NHWC inputs and HWIO kernels as an implicit matmul (dot/matmul/fer_conv.go).

//go:build amd64 && goexperiment.simd

package ops

import (
	"math"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/internal/gobackend"
	"github.com/gomlx/compute/internal/gobackend/dot/matmul"
)

func init() {
	if matmul.FerGemmAvailable { // AVX-512, or AVX2 (fer_gemm.go)
		gobackend.SetNodeExecutor(compute.OpTypeConvGeneral, gobackend.PriorityArch, execFerConvGeneral)
		gobackend.FerFastConv2D = true
	}
	gobackend.FerFastConvKernelGrad = matmul.FerKGradAvailable
	gobackend.FerFastConv1 = matmul.FerKGradAvailable
}

// ferConvNHWC reports whether a ConvGeneral is the layout and kind FerConv2D
// computes: float32, two spatial axes, input [batch, h, w, cin], kernel
// [kh, kw, cin, cout], output [batch, oh, ow, cout], no dilation, no
// grouping, cout a multiple of 64 (of 32 with one input channel where
// FerConv2D1 runs).
func ferConvNHWC(node *gobackend.Node, inputs []*gobackend.Buffer) bool {
	p, ok := node.Data.(*convNode)
	if !ok || len(inputs) != 2 || node.Shape.IsDynamic() {
		return false
	}
	in, k := inputs[0].RawShape, inputs[1].RawShape
	if in.DType != dtypes.Float32 || k.DType != dtypes.Float32 || node.Shape.DType != dtypes.Float32 ||
		in.Rank() != 4 || k.Rank() != 4 || node.Shape.Rank() != 4 {
		return false
	}
	a := p.axes
	if a.InputBatch != 0 || a.InputChannels != 3 || len(a.InputSpatial) != 2 || a.InputSpatial[0] != 1 || a.InputSpatial[1] != 2 ||
		a.KernelInputChannels != 2 || a.KernelOutputChannels != 3 || len(a.KernelSpatial) != 2 || a.KernelSpatial[0] != 0 || a.KernelSpatial[1] != 1 ||
		a.OutputBatch != 0 || a.OutputChannels != 3 || len(a.OutputSpatial) != 2 || a.OutputSpatial[0] != 1 || a.OutputSpatial[1] != 2 {
		return false
	}
	if p.hasInputDilations || p.hasKernelDilations || p.channelGroupCount > 1 || p.batchGroupCount > 1 ||
		len(p.strides) != 2 || len(p.paddings) != 2 {
		return false
	}
	return k.Dimensions[2] == in.Dimensions[3] &&
		(matmul.FerConv2DApplies(k.Dimensions[3]) || matmul.FerConv1Applies(in.Dimensions[3], k.Dimensions[3]))
}

// ferConvKernelGradNHWC reports whether a ConvGeneral is the kernel
// gradient of an NHWC/HWIO convolution, in the layout FerConvKernelGrad
// computes: float32; the "input" x [batch, h, w, cin] with its channels as
// the batch axis and its batch as the channel axis; the "kernel" dy [batch,
// outH, outW, cout] contracted over its batch; the output [kh, kw, cin,
// cout]; no stride (the forward convolution's strides are kernel
// dilations), no input dilation, no grouping; cin and cout as
// FerConvKernelGradApplies wants them.
func ferConvKernelGradNHWC(node *gobackend.Node, inputs []*gobackend.Buffer) bool {
	p, ok := node.Data.(*convNode)
	if !ok || len(inputs) != 2 || node.Shape.IsDynamic() {
		return false
	}
	in, k := inputs[0].RawShape, inputs[1].RawShape
	if in.DType != dtypes.Float32 || k.DType != dtypes.Float32 || node.Shape.DType != dtypes.Float32 ||
		in.Rank() != 4 || k.Rank() != 4 || node.Shape.Rank() != 4 {
		return false
	}
	a := p.axes
	if a.InputBatch != 3 || a.InputChannels != 0 || len(a.InputSpatial) != 2 || a.InputSpatial[0] != 1 || a.InputSpatial[1] != 2 ||
		a.KernelInputChannels != 0 || a.KernelOutputChannels != 3 || len(a.KernelSpatial) != 2 || a.KernelSpatial[0] != 1 || a.KernelSpatial[1] != 2 ||
		a.OutputBatch != 2 || a.OutputChannels != 3 || len(a.OutputSpatial) != 2 || a.OutputSpatial[0] != 0 || a.OutputSpatial[1] != 1 {
		return false
	}
	if p.hasInputDilations || p.channelGroupCount > 1 || p.batchGroupCount > 1 ||
		len(p.strides) != 2 || p.strides[0] != 1 || p.strides[1] != 1 || len(p.paddings) != 2 {
		return false
	}
	if p.hasKernelDilations && (len(p.kernelDilations) != 2 || p.kernelDilations[0] < 1 || p.kernelDilations[1] < 1) {
		return false
	}
	cin, cout := in.Dimensions[3], k.Dimensions[3]
	// The kernels address x (zero-padded, for one channel) and dy with int32
	// byte offsets: larger operands go to upstream's loop.
	dil := []int{1, 1}
	if p.hasKernelDilations {
		dil = p.kernelDilations
	}
	out := node.Shape.Dimensions
	padded := in.Dimensions[0] * ((k.Dimensions[1]-1)*dil[0] + out[0]) * ((k.Dimensions[2]-1)*dil[1] + out[1])
	if 4*max(in.Size(), k.Size(), padded) > math.MaxInt32 {
		return false
	}
	return k.Dimensions[0] == in.Dimensions[0] && (matmul.FerConvKernelGradApplies(cin, cout) || matmul.FerConv1Applies(cin, cout))
}

// execFerConvGeneral runs FerConv2D (FerConv2D1 for one input channel)
// where ferConvNHWC says it applies, FerConvKernelGrad (FerConvKernelGrad1)
// where ferConvKernelGradNHWC does, and upstream's executor otherwise.
func execFerConvGeneral(backend *gobackend.Backend, node *gobackend.Node, inputs []*gobackend.Buffer, inputsOwned []bool) (*gobackend.Buffer, error) {
	if ferConvKernelGradNHWC(node, inputs) {
		p := node.Data.(*convNode)
		in, dy, out := inputs[0].RawShape.Dimensions, inputs[1].RawShape.Dimensions, node.Shape.Dimensions
		sh, sw := 1, 1
		if p.hasKernelDilations {
			sh, sw = p.kernelDilations[0], p.kernelDilations[1]
		}
		output, err := backend.GetBuffer(node.Shape)
		if err != nil {
			return nil, err
		}
		if in[3] == 1 {
			matmul.FerConvKernelGrad1(backend, inputs[0].Flat.([]float32), in[0], in[1], in[2],
				inputs[1].Flat.([]float32), dy[1], dy[2], dy[3], out[0], out[1], sh, sw, p.paddings[0][0], p.paddings[1][0],
				output.Flat.([]float32))
			return output, nil
		}
		matmul.FerConvKernelGrad(backend, inputs[0].Flat.([]float32), in[0], in[1], in[2], in[3],
			inputs[1].Flat.([]float32), dy[1], dy[2], dy[3], out[0], out[1], sh, sw, p.paddings[0][0], p.paddings[1][0],
			output.Flat.([]float32))
		return output, nil
	}
	if !ferConvNHWC(node, inputs) {
		return execConvGeneral(backend, node, inputs, inputsOwned)
	}
	p := node.Data.(*convNode)
	in, k, out := inputs[0].RawShape.Dimensions, inputs[1].RawShape.Dimensions, node.Shape.Dimensions
	output, err := backend.GetBuffer(node.Shape)
	if err != nil {
		return nil, err
	}
	if in[3] == 1 && matmul.FerConv1Applies(1, k[3]) {
		matmul.FerConv2D1(backend, inputs[0].Flat.([]float32), in[0], in[1], in[2],
			inputs[1].Flat.([]float32), k[0], k[1], k[3], p.strides[0], p.strides[1], p.paddings[0], p.paddings[1],
			output.Flat.([]float32), out[1], out[2])
		return output, nil
	}
	matmul.FerConv2D(backend, inputs[0].Flat.([]float32), in[0], in[1], in[2], in[3],
		inputs[1].Flat.([]float32), k[0], k[1], k[3], p.strides[0], p.strides[1], p.paddings[0], p.paddings[1],
		output.Flat.([]float32), out[1], out[2])
	return output, nil
}
