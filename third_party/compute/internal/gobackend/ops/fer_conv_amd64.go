// fer-thesis patch (not in upstream compute v0.1.3): ConvGeneral for float32
// NHWC inputs and HWIO kernels as an implicit matmul (dot/matmul/fer_conv.go).

//go:build amd64 && goexperiment.simd

package ops

import (
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
}

// ferConvNHWC reports whether a ConvGeneral is the layout and kind FerConv2D
// computes: float32, two spatial axes, input [batch, h, w, cin], kernel
// [kh, kw, cin, cout], output [batch, oh, ow, cout], no dilation, no
// grouping, cout a multiple of 64.
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
	return k.Dimensions[2] == in.Dimensions[3] && matmul.FerConv2DApplies(k.Dimensions[3])
}

// execFerConvGeneral runs FerConv2D where ferConvNHWC says it applies, and
// upstream's executor otherwise.
func execFerConvGeneral(backend *gobackend.Backend, node *gobackend.Node, inputs []*gobackend.Buffer, inputsOwned []bool) (*gobackend.Buffer, error) {
	if !ferConvNHWC(node, inputs) {
		return execConvGeneral(backend, node, inputs, inputsOwned)
	}
	p := node.Data.(*convNode)
	in, k, out := inputs[0].RawShape.Dimensions, inputs[1].RawShape.Dimensions, node.Shape.Dimensions
	output, err := backend.GetBuffer(node.Shape)
	if err != nil {
		return nil, err
	}
	matmul.FerConv2D(backend, inputs[0].Flat.([]float32), in[0], in[1], in[2], in[3],
		inputs[1].Flat.([]float32), k[0], k[1], k[3], p.strides[0], p.strides[1], p.paddings[0], p.paddings[1],
		output.Flat.([]float32), out[1], out[2])
	return output, nil
}
