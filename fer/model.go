package fer

import (
	"cmp"
	"errors"
	"fmt"
	"html"
	"slices"
	"strconv"
	"strings"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX graph code reads best dot-imported.
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/gomlx/gomlx/support/exceptions"
)

// Model is a Keras-like Sequential model: a stack of layers, the store that
// holds its weights (and optimizer state), and what Fit needs to train it.
// Create it with NewSequential or with one of the thesis's architectures
// (New). A Model is not safe for concurrent use.
type Model struct {
	name   string
	input  []int
	layers []Layer
	names  []string // Keras-style layer names: "dense", "dense_1", ...
	shapes [][]int  // per-example output shape of each layer
	params [][2]int // trainable, non-trainable weights of each layer

	// head is the activation of the last layer when it is ActSoftmax or
	// ActSigmoid: the model's logits are the last layer's output before it.
	head Activation

	seed    int64
	backend compute.Backend
	store   *model.Store

	optimizer  Optimizer
	loss       Loss
	compiled   bool
	trainer    *train.Trainer
	logitsExec *model.Exec

	epochs  int     // epochs completed, across Fit calls and resumes
	history History // all epochs completed
}

// linearLayer is a layer whose output is an activation of a linear part;
// the model's logits are the linear part of its last layer.
type linearLayer interface {
	linear(scope *model.Scope, x *Node) *Node
}

// DefaultSeed seeds the weights' initialization, dropout and shuffling of a
// new model; change it with Model.WithSeed.
const DefaultSeed = 1

// NewSequential builds a model from a stack of layers, the first of which
// declares the input shape, like keras.Sequential:
//
//	m, err := fer.NewSequential(
//		fer.Input(28, 28, 1),
//		fer.Flatten{},
//		fer.Dense{Units: 10, Activation: fer.Softmax},
//	)
//
// It checks that every layer accepts the shape the previous one produces and
// returns an error naming the first layer that does not. The weights are
// created (and initialized from the model's seed) on first use.
func NewSequential(layers ...Layer) (*Model, error) {
	if len(layers) == 0 {
		return nil, errors.New("fer.NewSequential: no layers: the first one must be fer.Input(...)")
	}
	in, ok := layers[0].(InputLayer)
	if !ok {
		return nil, fmt.Errorf("fer.NewSequential: the first layer must be fer.Input(...), got %s", layers[0].kerasClass())
	}
	if err := in.check(); err != nil {
		return nil, fmt.Errorf("fer.NewSequential: %w", err)
	}
	if len(layers) == 1 {
		return nil, errors.New("fer.NewSequential: the model has an input but no layers")
	}
	m := &Model{name: "sequential", input: slices.Clone(in.Shape), seed: DefaultSeed}
	count := map[string]int{}
	shape := m.input
	for i, l := range layers[1:] {
		if _, ok := l.(InputLayer); ok {
			return nil, fmt.Errorf("fer.NewSequential: layer %d: only the first layer can be an Input", i+1)
		}
		out, err := l.outputShape(shape)
		if err != nil {
			return nil, fmt.Errorf("fer.NewSequential: layer %d (%s) on input shape %s: %w", i+1, l.kerasClass(), shapeString(shape), err)
		}
		base := l.kerasName()
		name := base
		if n := count[base]; n > 0 {
			name = base + "_" + strconv.Itoa(n)
		}
		count[base]++
		tr, nt := l.params(shape)
		m.layers = append(m.layers, l)
		m.names = append(m.names, name)
		m.shapes = append(m.shapes, out)
		m.params = append(m.params, [2]int{tr, nt})
		shape = out
	}
	switch last := m.layers[len(m.layers)-1].(type) {
	case Dense:
		if last.Activation == ActSoftmax || last.Activation == ActSigmoid {
			m.head = last.Activation
		}
	case Conv2D:
		if last.Activation == ActSoftmax || last.Activation == ActSigmoid {
			m.head = last.Activation
		}
	}
	m.resetStore()
	return m, nil
}

// resetStore creates a fresh store seeded with m.seed: weights are
// (re)initialized on next use and training starts over.
func (m *Model) resetStore() {
	if m.store != nil {
		m.store.Finalize()
	}
	m.store = model.NewStore()
	// An error here only means the seed could not be turned into a state,
	// which cannot happen for int64 seeds.
	_ = m.store.SetRNGStateFromSeed(m.seed)
	m.trainer, m.logitsExec = nil, nil
	m.epochs, m.history = 0, History{}
}

// WithName sets the model's name, shown in its summary, and returns m.
func (m *Model) WithName(name string) *Model {
	m.name = name
	return m
}

// WithSeed sets the seed of the weights' initialization, dropout and
// per-epoch shuffling, and returns m. It discards any weights and training
// state the model had, so call it right after building the model. Two models
// with the same layers and seed, trained on the same data with the same
// options and backend, have identical histories.
func (m *Model) WithSeed(seed int64) *Model {
	m.seed = seed
	m.resetStore()
	return m
}

// WithBackend sets the GoMLX backend the model runs on (by default the one
// chosen by Backend) and returns m. Set it before the first Fit, Predict or
// Evaluate.
func (m *Model) WithBackend(b compute.Backend) *Model {
	m.backend = b
	m.trainer, m.logitsExec = nil, nil
	return m
}

// Name returns the model's name.
func (m *Model) Name() string { return m.name }

// Seed returns the model's seed.
func (m *Model) Seed() int64 { return m.seed }

// InputShape returns the per-example input shape.
func (m *Model) InputShape() []int { return slices.Clone(m.input) }

// OutputShape returns the per-example output shape, e.g. [10] for 10 classes.
func (m *Model) OutputShape() []int { return slices.Clone(m.shapes[len(m.shapes)-1]) }

// OutputActivation returns the last layer's activation when it is ActSoftmax
// or ActSigmoid (Predict applies it to the logits), or ActLinear otherwise.
func (m *Model) OutputActivation() Activation { return cmp.Or(m.head, ActLinear) }

// Store returns the GoMLX store holding the model's weights and training
// state, for use with GoMLX tools.
func (m *Model) Store() *model.Store { return m.store }

// Epochs returns the number of training epochs the model has completed
// (restored checkpoints included).
func (m *Model) Epochs() int { return m.epochs }

// History returns the per-epoch metrics of every epoch the model has
// completed, restored checkpoints included.
func (m *Model) History() History { return m.history.clone() }

// ModelFn returns the model as a plain GoMLX model function, for people who
// prefer GoMLX's own training tools: given a scope and a batch shaped
// [batch, input...], it builds the model and returns its logits, the last
// layer's output before an ActSoftmax or ActSigmoid activation (GoMLX's
// losses take logits). Layer weights are created under scope, in sub-scopes
// named like the layers, so the function can be used with any store (the
// model's own is Store). Dropout and batch normalization follow the
// training flag that GoMLX's train.Trainer sets on the graph.
//
//	trainer := train.NewTrainer(backend, store, m.ModelFn(),
//		loss.SparseCategoricalCrossEntropyLogits, optimizer.Adam().Done(), nil, nil)
func (m *Model) ModelFn() func(scope *model.Scope, x *Node) *Node {
	return m.logits
}

// logits builds the model on x and returns its logits.
func (m *Model) logits(scope *model.Scope, x *Node) *Node {
	dims := x.Shape().Dimensions
	if len(dims) != len(m.input)+1 || !slices.Equal(dims[1:], m.input) {
		exceptions.Panicf("model %q: input shaped %v, want [batch %s]", m.name, dims, strings.Trim(fmt.Sprint(m.input), "[]"))
	}
	last := len(m.layers) - 1
	var pendingBias *Node // A Conv2D's bias and ReLU, moved after the MaxPool2D that follows it.
	for i, l := range m.layers {
		s := scope.In("%s", m.names[i])
		if i == last && m.head != "" {
			x = l.(linearLayer).linear(s, x)
			continue
		}
		if c, ok := l.(Conv2D); ok && i+1 < len(m.layers) && reluCommutesWithNext(x, c, m.layers[i+1]) {
			x, pendingBias = c.linearParts(s, x)
			continue
		}
		x = l.build(s, x)
		if pendingBias != nil {
			x = relu(addChannelBias(x, pendingBias))
			pendingBias = nil
		}
	}
	return x
}

// reluCommutesWithNext reports whether the bias and the ReLU of conv c can
// be applied after next instead, on the pure-Go backend (fastops.go): when
// next is a max-pool, maxpool(relu(x + b)) = relu(maxpool(x) + b) exactly
// (adding b and ReLU are monotone, also once rounded, and max is exact), on
// window²/stride² times fewer values; the gradients are the same too with
// the ReLU derivative taken as 0 at 0 (see relu) and the max-pool's gradient
// going to one maximum per window (see maxPool2D), up to the order in which
// the bias gradient is summed, and but for windows where two different
// values of x become equal once b is added and rounded (the gradient then
// goes to the larger x rather than to the first of the tied cells). The value
// of the conv layer alone (Model.Activations) is unchanged: it builds layers
// one at a time.
func reluCommutesWithNext(x *Node, c Conv2D, next Layer) bool {
	_, isPool := next.(MaxPool2D)
	return isPool && c.Activation == ActReLU && useFastOps(x)
}

// LayerSummary describes one layer of a model, as a row of its summary.
type LayerSummary struct {
	Name        string // e.g. "conv2d_1"
	Type        string // Keras class name, e.g. "Conv2D"
	OutputShape []int  // per example, e.g. [26, 26, 256]
	Params      int    // all weights: trainable and non-trainable
	Trainable   int    // trainable weights
}

// Layers describes the model's layers, in order (the input is not a layer).
func (m *Model) Layers() []LayerSummary {
	out := make([]LayerSummary, len(m.layers))
	for i, l := range m.layers {
		out[i] = LayerSummary{
			Name:        m.names[i],
			Type:        l.kerasClass(),
			OutputShape: slices.Clone(m.shapes[i]),
			Params:      m.params[i][0] + m.params[i][1],
			Trainable:   m.params[i][0],
		}
	}
	return out
}

// CountParams returns the number of weights of the model: all of them, the
// trainable ones and the non-trainable ones (batch normalization's moving
// mean and variance), as Keras counts them.
func (m *Model) CountParams() (total, trainable, nonTrainable int) {
	for _, p := range m.params {
		trainable += p[0]
		nonTrainable += p[1]
	}
	return trainable + nonTrainable, trainable, nonTrainable
}

// Summary returns the Keras-style summary of the model: one row per layer
// with its name and type, its output shape (None is the batch axis) and its
// number of weights, then the totals.
func (m *Model) Summary() string {
	rows := m.Layers()
	nameW, shapeW, paramW := 29, 26, 10
	for _, r := range rows {
		nameW = max(nameW, len(r.Name)+len(r.Type)+4)
		shapeW = max(shapeW, len(shapeString(r.OutputShape))+1)
	}
	width := nameW + shapeW + paramW
	line := func(c string) string { return strings.Repeat(c, width) + "\n" }
	row := func(a, b, c string) string {
		return strings.TrimRight(fmt.Sprintf("%-*s%-*s%s", nameW, a, shapeW, b, c), " ") + "\n"
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "Model: %q\n", m.name)
	sb.WriteString(line("_"))
	sb.WriteString(row("Layer (type)", "Output Shape", "Param #"))
	sb.WriteString(line("="))
	for i, r := range rows {
		if i > 0 {
			sb.WriteString(line("_"))
		}
		sb.WriteString(row(r.Name+" ("+r.Type+")", shapeString(r.OutputShape), strconv.Itoa(r.Params)))
	}
	sb.WriteString(line("="))
	total, trainable, nonTrainable := m.CountParams()
	fmt.Fprintf(&sb, "Total params: %s\n", thousands(total))
	fmt.Fprintf(&sb, "Trainable params: %s\n", thousands(trainable))
	fmt.Fprintf(&sb, "Non-trainable params: %s\n", thousands(nonTrainable))
	sb.WriteString(line("_"))
	return sb.String()
}

// SummaryHTML returns the summary as an HTML table, for notebooks:
// gonbui.DisplayHTML(m.SummaryHTML()).
func (m *Model) SummaryHTML() string {
	var sb strings.Builder
	esc := html.EscapeString
	sb.WriteString(`<table style="border-collapse:collapse;font-family:monospace">` + "\n")
	fmt.Fprintf(&sb, `<caption style="text-align:left;font-weight:bold">Model: %s</caption>`+"\n", esc(m.name))
	sb.WriteString(`<thead><tr style="border-bottom:2px solid"><th style="text-align:left;padding:2px 12px">Layer (type)</th>` +
		`<th style="text-align:left;padding:2px 12px">Output Shape</th><th style="text-align:right;padding:2px 12px">Param #</th></tr></thead>` + "\n<tbody>\n")
	for _, r := range m.Layers() {
		fmt.Fprintf(&sb, `<tr style="border-bottom:1px solid #ccc"><td style="text-align:left;padding:2px 12px">%s (%s)</td>`+
			`<td style="text-align:left;padding:2px 12px">%s</td><td style="text-align:right;padding:2px 12px">%s</td></tr>`+"\n",
			esc(r.Name), esc(r.Type), esc(shapeString(r.OutputShape)), thousands(r.Params))
	}
	total, trainable, nonTrainable := m.CountParams()
	sb.WriteString("</tbody>\n<tfoot>\n")
	for _, t := range []struct {
		label string
		n     int
	}{{"Total params", total}, {"Trainable params", trainable}, {"Non-trainable params", nonTrainable}} {
		fmt.Fprintf(&sb, `<tr><td colspan="2" style="text-align:left;padding:2px 12px">%s</td><td style="text-align:right;padding:2px 12px">%s</td></tr>`+"\n",
			t.label, thousands(t.n))
	}
	sb.WriteString("</tfoot>\n</table>\n")
	return sb.String()
}

// String returns the model's name and its layers, one line.
func (m *Model) String() string {
	parts := make([]string, len(m.layers))
	for i, l := range m.layers {
		parts[i] = l.kerasClass()
	}
	in := strings.Trim(strings.Join(strings.Fields(fmt.Sprint(m.input)), ", "), "[]")
	return fmt.Sprintf("%s: Input(%s) → %s", m.name, in, strings.Join(parts, " → "))
}

// signature identifies the model's architecture in checkpoints.
func (m *Model) signature() string {
	var sb strings.Builder
	sb.WriteString(shapeString(m.input))
	for i, l := range m.layers {
		fmt.Fprintf(&sb, "|%s:%+v", m.names[i], l)
	}
	return sb.String()
}

// shapeString formats a per-example shape as Keras does: (None, 26, 26, 256).
func shapeString(dims []int) string {
	parts := make([]string, 0, len(dims)+1)
	parts = append(parts, "None")
	for _, d := range dims {
		parts = append(parts, strconv.Itoa(d))
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// thousands formats n with comma separators, as Keras prints totals: 183,690.
func thousands(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var sb strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			sb.WriteByte(',')
		}
		sb.WriteRune(c)
	}
	if neg {
		return "-" + sb.String()
	}
	return sb.String()
}
