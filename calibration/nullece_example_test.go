package calibration_test

import (
	"fmt"

	"github.com/fer-thesis/fer/calibration"
)

// How large an ECE would a perfectly calibrated model show on 500 examples
// at 70% confidence? Compare an observed ECE with this range before calling
// a model miscalibrated.
func ExampleBootstrap_NullECE() {
	probs := make([][]float64, 500)
	for i := range probs {
		probs[i] = []float64{0.7, 0.2, 0.1}
	}
	iv, err := calibration.Bootstrap{Resamples: 1000, Seed: 1}.NullECE(probs, 10)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("perfectly calibrated, 500 examples: ECE %.3f on average, 95%% of samples in [%.3f, %.3f]\n", iv.Estimate, iv.Lo, iv.Hi)
	// Output:
	// perfectly calibrated, 500 examples: ECE 0.017 on average, 95% of samples in [0.000, 0.048]
}
