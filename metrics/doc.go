// Package metrics implements the classification scores rakam reports: the
// confusion matrix (rows are true labels, columns predictions), accuracy,
// per-class precision, recall, F1 and support, their macro and
// support-weighted averages, and log loss. Definitions follow scikit-learn's
// precision_recall_fscore_support and log_loss, including its default of
// scoring a zero division as 0.
package metrics
