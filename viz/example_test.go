package viz_test

import (
	"bytes"
	"fmt"

	"github.com/fer-thesis/fer/viz"
)

// A training curve rendered as a PNG; in a GoNB notebook, viz.Show(p)
// displays it inline instead.
func Example() {
	p, err := viz.Lines("Training curve", "epoch", "accuracy",
		viz.Series{Name: "train", Y: []float64{0.80, 0.90, 0.95}},
		viz.Series{Name: "validation", Y: []float64{0.78, 0.86, 0.88}, Dashed: true})
	if err != nil {
		panic(err)
	}
	png, err := viz.PNG(p, viz.DefaultWidth, viz.DefaultHeight)
	if err != nil {
		panic(err)
	}
	fmt.Println(bytes.HasPrefix(png, []byte("\x89PNG")))
	// Output: true
}
