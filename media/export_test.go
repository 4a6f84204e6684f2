package media

import (
	"io"
	"os"
)

// SetFileWriter puts w in front of the appends to each recording file r begins from now on:
// the tests' small disk that fills up.
func SetFileWriter(r *Recorder, w func(*os.File) io.Writer) { r.fileWriter = w }
