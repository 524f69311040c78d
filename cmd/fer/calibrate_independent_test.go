package main

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"
)

// naiveReport recomputes ECE (10 equal-width bins, (lo, hi]), NLL and Brier
// directly from the definitions, sharing no code with package calibration.
func naiveReport(z [][]float64, y []int, T float64) (ece, nll, brier float64) {
	const M = 10
	var cnt [M]float64
	var conf, acc [M]float64
	for i, row := range z {
		mx := math.Inf(-1)
		for _, v := range row {
			mx = math.Max(mx, v/T)
		}
		sum := 0.0
		for _, v := range row {
			sum += math.Exp(v/T - mx)
		}
		best, pbest := 0, 0.0
		for k, v := range row {
			p := math.Exp(v/T-mx) / sum
			if p > pbest {
				best, pbest = k, p
			}
			t := 0.0
			if k == y[i] {
				t = 1
			}
			brier += (p - t) * (p - t)
		}
		nll += -(row[y[i]]/T - mx - math.Log(sum))
		b := int(math.Ceil(pbest*M)) - 1
		if b < 0 {
			b = 0
		}
		if float64(b+1)/M < pbest { // guard the float edge
			b++
		}
		if b > 0 && float64(b)/M >= pbest {
			b--
		}
		cnt[b]++
		conf[b] += pbest
		if best == y[i] {
			acc[b]++
		}
	}
	n := float64(len(z))
	for b := range cnt {
		if cnt[b] > 0 {
			ece += cnt[b] / n * math.Abs(acc[b]/cnt[b]-conf[b]/cnt[b])
		}
	}
	return ece, nll / n, brier / n
}

// TestCalibrateAgreesWithAnIndependentComputation checks fer calibrate's
// JSON against the definitions computed here: ECE, NLL and Brier to 1e-9
// before and after scaling, and the temperature to 1e-6 (relative) against a
// golden-section search on the NLL written in this test.
func TestCalibrateAgreesWithAnIndependentComputation(t *testing.T) {
	path, z, y := writeLogitsCSV(t, t.TempDir(), "l.csv", 2000, 5, 7)
	var out, errb bytes.Buffer
	if code := run([]string{"calibrate", "--logits", path}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var m map[string]float64
	dec := json.NewDecoder(&out)
	var raw map[string]any
	if err := dec.Decode(&raw); err != nil {
		t.Fatal(err)
	}
	m = map[string]float64{}
	for k, v := range raw {
		if f, ok := v.(float64); ok {
			m[k] = f
		}
	}
	ece, nll, brier := naiveReport(z, y, 1)
	for _, c := range []struct {
		name      string
		got, want float64
	}{{"ece", m["ece"], ece}, {"nll", m["nll"], nll}, {"brier", m["brier"], brier}} {
		if math.Abs(c.got-c.want) > 1e-9 {
			t.Errorf("%s: fer calibrate %.12f, independent %.12f", c.name, c.got, c.want)
		}
	}
	// Golden-section search of the NLL over log T in [log 0.05, log 20].
	f := func(logT float64) float64 { _, v, _ := naiveReport(z, y, math.Exp(logT)); return v }
	a, b := math.Log(0.05), math.Log(20.0)
	g := (math.Sqrt(5) - 1) / 2
	for i := 0; i < 200 && b-a > 1e-12; i++ {
		c, d := b-g*(b-a), a+g*(b-a)
		if f(c) < f(d) {
			b = d
		} else {
			a = c
		}
	}
	T := math.Exp((a + b) / 2)
	if math.Abs(m["temperature"]-T)/T > 1e-6 {
		t.Errorf("temperature: fer calibrate %.9f, golden section %.9f", m["temperature"], T)
	}
	eceA, nllA, _ := naiveReport(z, y, m["temperature"])
	if math.Abs(m["ece_after"]-eceA) > 1e-9 || math.Abs(m["nll_after"]-nllA) > 1e-9 {
		t.Errorf("after scaling: ECE %.12f vs %.12f, NLL %.12f vs %.12f", m["ece_after"], eceA, m["nll_after"], nllA)
	}
}
