// Package lab runs the thesis's experiments end to end, the way the command
// line (fer reproduce) and the chapter notebooks run them: load the data,
// train each model with the thesis's settings, evaluate it on the test split,
// calibrate it, and write every number, history and logit to a results folder
// so that a run can be inspected, resumed and re-plotted without retraining.
//
// It sits at the end of the data flow (datasets → fer → calibration → lab),
// next to the notebooks and cmd/fer.
package lab

import (
	"fmt"
	"math"
	"strings"
)

// KaggleAnchor is one accuracy the thesis places on the final (private)
// leaderboard of the 2013 Kaggle competition.
type KaggleAnchor struct {
	Accuracy float64
	Position string
}

// KaggleWinner is the private-leaderboard accuracy of the 2013 winner (Yichuan
// Tang's SVM-loss CNN), quoted by the thesis and by Goodfellow et al. (2013).
const KaggleWinner = 0.71161

// KaggleAnchors are the positions the thesis quotes (chapter 8) for its
// accuracies, best first. The full leaderboard is not available offline, so a
// position for another accuracy is given as the interval between anchors.
var KaggleAnchors = []KaggleAnchor{
	{KaggleWinner, "1st"},
	{0.66, "4th–5th"},
	{0.39, "41st–42nd"},
	{0.33, "48th–49th"},
}

// KagglePosition says where an accuracy on PrivateTest would have placed on
// the competition's final leaderboard, from the thesis's anchors: the anchor's
// position when within half a point of it, otherwise the interval between the
// two anchors around it.
func KagglePosition(acc float64) string {
	if math.IsNaN(acc) {
		return "—"
	}
	if acc >= KaggleWinner {
		return "1st (above the winner's 0.712)"
	}
	for _, a := range KaggleAnchors[1:] {
		if math.Abs(acc-a.Accuracy) <= 0.005 {
			return a.Position
		}
	}
	for i := 0; i+1 < len(KaggleAnchors); i++ {
		hi, lo := KaggleAnchors[i], KaggleAnchors[i+1]
		if acc < hi.Accuracy && acc > lo.Accuracy {
			return fmt.Sprintf("between %s and %s", strings.TrimSuffix(lo.Position, ""), hi.Position)
		}
	}
	return "below 49th"
}
