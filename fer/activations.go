package fer

import (
	"fmt"
	"slices"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// Activations returns the output of layer `layer` (0-based, as in Layers and
// Summary) for every example of d, in inference mode: one flat row per
// example, shaped like Layers()[layer].OutputShape (e.g. [h, w, channels] for a
// convolution, channels last). The thesis's feature-map figures (8.11, 8.12)
// show these for the first convolutional blocks.
func (m *Model) Activations(d Data, layer int) (acts [][]float32, shape []int, err error) {
	defer recoverError(&err, "fer: Activations")
	if layer < 0 || layer >= len(m.layers) {
		return nil, nil, fmt.Errorf("fer: Activations: layer %d, want 0..%d", layer, len(m.layers)-1)
	}
	if err := d.checkFor(m, false); err != nil {
		return nil, nil, fmt.Errorf("fer: Activations: %w", err)
	}
	if err := m.ensureBackend(); err != nil {
		return nil, nil, fmt.Errorf("fer: Activations: %w", err)
	}
	upTo := func(scope *model.Scope, x *graph.Node) *graph.Node {
		for i, l := range m.layers[:layer+1] {
			s := scope.In("%s", m.names[i])
			if i == len(m.layers)-1 && m.head != "" {
				x = l.(linearLayer).linear(s, x)
				continue
			}
			x = l.build(s, x)
		}
		return x
	}
	exec, err := model.NewExec(m.backend, m.store, upTo)
	if err != nil {
		return nil, nil, fmt.Errorf("fer: Activations: %w", err)
	}
	shape = slices.Clone(m.shapes[layer])
	k := prod(shape)
	flat, err := runBatched(exec, d, k)
	if err != nil {
		return nil, nil, fmt.Errorf("fer: Activations: %w", err)
	}
	return rows(flat, k), shape, nil
}
