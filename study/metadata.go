package study

import (
	"encoding/json"

	"github.com/rakam-ml/rakam/internal/version"
	"github.com/rakam-ml/rakam/nn"
	"github.com/rakam-ml/rakam/results"
)

// Metrics is the rakam.metrics JSON of a saved model (nn.MetaMetrics): its
// test scores and the epochs it trained. The fields are in the order of
// their keys, as encoding/json writes a map of them, so files written with
// a map before read the same.
type Metrics struct {
	Epochs       int     `json:"epochs"`
	MacroF1      float64 `json:"macro_f1"`
	TestAccuracy float64 `json:"test_accuracy"`
	TestLoss     float64 `json:"test_loss"`
	WeightedF1   float64 `json:"weighted_f1"`
}

// ModelMetadata is the metadata every model rakam trains is saved with,
// whatever command trained it (the keys are nn's Meta constants): its name
// (nn.MetaName), rakam's version, config as JSON (the recipe or flags that
// trained it), the test metrics and the training data's SHA-256. The
// study adds its run (nn.MetaStudyRun); nn.Save adds the architecture.
// Nothing in it may depend on timing or paths unless config does, so the
// same run gives the same bytes.
func ModelMetadata(res *results.Model, config any, datasetSHA256 string) map[string]string {
	cfg, _ := json.Marshal(config)
	met, _ := json.Marshal(Metrics{Epochs: res.Epochs, MacroF1: res.MacroF1, TestAccuracy: res.TestAccuracy,
		TestLoss: res.TestLoss, WeightedF1: res.WeightedF1})
	return map[string]string{
		nn.MetaName:          res.Name,
		nn.MetaVersion:       version.String(),
		nn.MetaTrainConfig:   string(cfg),
		nn.MetaMetrics:       string(met),
		nn.MetaDatasetSHA256: datasetSHA256,
	}
}
