package calibration

import (
	"math"
	"math/rand/v2"
	"testing"
)

// overconfident draws n examples of k classes whose logits are the true
// log-probabilities times 3, so that softmax(z) is overconfident and
// T = 3 recovers the truth.
func overconfident(n, k int, seed uint64) ([][]float64, []int) {
	rng := rand.New(rand.NewPCG(seed, 1))
	z, y := make([][]float64, n), make([]int, n)
	p := make([]float64, k)
	for i := range z {
		s := 0.0
		for j := range p {
			p[j] = math.Exp(2 * rng.NormFloat64())
			s += p[j]
		}
		z[i] = make([]float64, k)
		for j := range p {
			z[i][j] = 3 * math.Log(p[j]/s)
		}
		y[i] = k - 1
		u, acc := rng.Float64()*s, 0.0
		for j := range p {
			if acc += p[j]; u < acc {
				y[i] = j
				break
			}
		}
	}
	return z, y
}

func TestCompareRecalibrations(t *testing.T) {
	zv, yv := overconfident(4000, 4, 1)
	zt, yt := overconfident(4000, 4, 2)
	res, err := CompareRecalibrations(zv, yv, zt, yt, 10)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		method string
		params int
	}{{"none: softmax(z)", 0}, {"temperature scaling", 1}, {"histogram binning", 10}, {"vector scaling", 8}}
	if len(res) != len(want) {
		t.Fatalf("%d results, want %d", len(res), len(want))
	}
	for i, w := range want {
		if res[i].Method != w.method || res[i].Params != w.params {
			t.Errorf("result %d: %q with %d params, want %q with %d", i, res[i].Method, res[i].Params, w.method, w.params)
		}
		if res[i].Report.N != 4000 || res[i].Report.Bins.N() != 4000 {
			t.Errorf("%s: N %d, bins hold %d, want 4000", res[i].Method, res[i].Report.N, res[i].Report.Bins.N())
		}
	}
	raw, ts, hb, vs := res[0].Report, res[1].Report, res[2].Report, res[3].Report
	if res[1].Changed != 0 || res[2].Changed != 0 || ts.Accuracy != raw.Accuracy || hb.Accuracy != raw.Accuracy {
		t.Errorf("temperature scaling or histogram binning changed predictions: %+v", res[:3])
	}
	if !(raw.ECE > 0.05 && ts.ECE < raw.ECE/3 && hb.ECE < raw.ECE/3 && vs.ECE < raw.ECE/3) {
		t.Errorf("ECE raw %.4f, temperature %.4f, histogram %.4f, vector %.4f: want the three maps well below raw", raw.ECE, ts.ECE, hb.ECE, vs.ECE)
	}
	if !(ts.NLL < raw.NLL && vs.NLL < raw.NLL) {
		t.Errorf("NLL raw %.4f, temperature %.4f, vector %.4f", raw.NLL, ts.NLL, vs.NLL)
	}
	// The NLL of temperature scaling is computed from the logits.
	fit, _ := FitTemperature(zv, yv)
	if math.Abs(fit.T-3) > 0.3 {
		t.Errorf("T = %.3f, want about 3", fit.T)
	}
	if nll, _ := TemperatureNLL(zt, yt, fit.T); nll != ts.NLL {
		t.Errorf("temperature NLL %v, want %v", ts.NLL, nll)
	}
	// Histogram binning's ECE is that of its calibrated confidences.
	pv, _ := Softmax(zv, 1)
	pt, _ := Softmax(zt, 1)
	h, _ := FitHistogramBinning(pv, yv, 10)
	pred, conf, _ := h.Apply(pt)
	right := make([]bool, len(pred))
	for i := range pred {
		right[i] = pred[i] == yt[i]
	}
	bins, _ := ReliabilityConf(conf, right, 10)
	if bins.ECE() != hb.ECE {
		t.Errorf("histogram binning ECE %v, want %v", hb.ECE, bins.ECE())
	}

	if _, err := CompareRecalibrations(zv, yv, [][]float64{{1, 2}}, []int{0}, 10); err == nil {
		t.Error("different class counts accepted")
	}
	if _, err := CompareRecalibrations(zv, yv[:10], zt, yt, 10); err == nil {
		t.Error("missing labels accepted")
	}
	if _, err := CompareRecalibrations(zv, yv, zt, yt, 0); err == nil {
		t.Error("0 bins accepted")
	}
}
