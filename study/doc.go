// Package study is the seed's comparison as code: the model zoo of its
// table (Zoo, with the cnn designed here), the recipe that trains one model
// on a seeded train/validation/test split (Recipe, Train), the six
// improvements the seed proposed (a CNN, augmentation, a learning-rate
// schedule, early stopping, grid or random hyperparameter search, voting
// ensembles), and Compare, which runs all of it, keeps the trained models
// and returns what the report shows. The study owns the study: the names
// of its rows, the part each plays in the seed's comparisons (Roles), the
// seed's figures (SeedFigures) and the most confident mistakes; package
// report only renders the report.Input it is given, and `rakam compare`
// asks it to. `rakam compare`, `rakam search` and `rakam train` are thin
// layers over this package: Train is the one training pipeline (with
// checkpoints and resume in RunOptions), NewResult the one builder of a
// run's results object and ModelMetadata the one set of metadata a trained
// model is saved with.
//
// Every result depends on the seed, the data and the code, never on load,
// timing or the thread count: two runs of Compare with the same seed give
// the same table, bit for bit.
package study
