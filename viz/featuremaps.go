package viz

import (
	"fmt"
	"math"
)

// FeatureMaps turns one example's activations, channels last (h×w×c values,
// as fer.Model.Activations returns them), into an ImageGrid of the first
// maxMaps channels, each scaled on its own from its minimum (black) to its
// maximum (white) and captioned with its channel number.
func FeatureMaps(title string, acts []float32, h, w, c, maxMaps, cols int) (ImageGrid, error) {
	if len(acts) != h*w*c {
		return ImageGrid{}, fmt.Errorf("feature maps %q: %d values for %d×%d×%d", title, len(acts), h, w, c)
	}
	n := min(c, maxMaps)
	g := ImageGrid{Title: title, Height: h, Width: w, Cols: cols}
	for ch := 0; ch < n; ch++ {
		lo, hi := math.Inf(1), math.Inf(-1)
		for i := 0; i < h*w; i++ {
			v := float64(acts[i*c+ch])
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
		img := make([]uint8, h*w)
		if hi > lo {
			for i := range img {
				img[i] = uint8(math.Round(255 * (float64(acts[i*c+ch]) - lo) / (hi - lo)))
			}
		}
		g.Images = append(g.Images, img)
		g.Captions = append(g.Captions, fmt.Sprintf("#%d", ch))
	}
	return g, nil
}
