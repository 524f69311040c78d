package datasets

import (
	"os"
	"path/filepath"
)

// DataDirEnv is the environment variable that overrides the data directory.
const DataDirEnv = "FER_DATA_DIR"

// DataDir returns the directory holding the datasets: $FER_DATA_DIR if set
// and not empty, else $HOME/.local/share/fer/data (or, if the home directory
// is unknown, "data" in the working directory). Under it the loaders look
// for fer2013/ and mnist/ (see the package documentation for the layout).
func DataDir() string {
	if d := os.Getenv(DataDirEnv); d != "" {
		return d
	}
	home, err := os.UserHomeDir()
	if err != nil || home == "" {
		return "data"
	}
	return filepath.Join(home, ".local", "share", "fer", "data")
}
