package lab

import "fmt"

// Table returns the thesis's table 8.2 for these results: technique, our
// PrivateTest accuracy, the thesis's, the Kaggle position ours would take,
// the training wall time and the backend, and the settings that ran.
func (r *FER2013Results) Table() (header []string, rows [][]string) {
	header = []string{"technique", "ours (PrivateTest)", "thesis", "Kaggle position (ours)", "training time", "backend", "settings"}
	for _, m := range r.Models {
		settings := m.Settings
		if !m.Complete() {
			settings += fmt.Sprintf(" (only %d of %d epochs done)", m.Epochs, m.PlannedEpochs)
		}
		if len(m.SeedRuns) > 0 {
			settings += fmt.Sprintf(": seed %d", m.Seed)
		}
		if m.Model == Logistic && !m.Converged {
			settings += fmt.Sprintf(" (stopped at the iteration limit, %d)", m.Epochs)
		}
		rows = append(rows, []string{m.Technique, fmt.Sprintf("%.4f", m.TestAccuracy), fmt.Sprintf("%.2f", m.ThesisAccuracy),
			m.KagglePosition, fmt.Sprintf("%.0f s", m.Seconds), m.Backend, settings})
	}
	rows = append(rows, []string{"ResNet-50 pretrained on VGGFace2 (transfer learning)", "not run", "0.72", "1st", "—", "—",
		"needs the keras-vggface weights, which cannot be downloaded here; model and loader: fer.FERResNet50, docs/transfer.md"})
	return header, rows
}
