package kernel_test

import (
	"fmt"
	"path/filepath"

	"github.com/fer-thesis/fer/kernel"
)

// Where the kernelspec goes inside a Jupyter data directory.
func Example() {
	fmt.Println(filepath.ToSlash(kernel.Dir("/home/me/.local/share/jupyter")))
	fmt.Println(kernel.DisplayName)
	// Output:
	// /home/me/.local/share/jupyter/kernels/fer
	// Go (fer)
}
