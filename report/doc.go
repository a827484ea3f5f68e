// Package report implements the outputs of a rakam study: a comparison table
// for the terminal, and a report written in three forms into one directory:
//
//	DIR/report.md     Markdown: the table, the analysis, images from DIR/plots
//	DIR/report.html   one self-contained page: inline CSS, every chart as
//	                  inline SVG, no scripts and nothing fetched from elsewhere
//	DIR/results.json  every number in the report, machine-readable
//	DIR/plots/*.svg   the charts, referenced by report.md
//
// The study fills an [Input] (the rows are results.Model values, the JSON
// contract of `rakam ... --json`) and `rakam compare` calls [Write]. The
// report renders what it is given: it names no row of the study and quotes
// none of the seed's figures; which row plays which part ([Roles]), the
// seed's figures and the mistakes all come in the Input. Charts are drawn
// with gonum.org/v1/plot through its SVG backend, one file per chart
// (chart_<name>.go). The analysis ([Analyze]) is written from the numbers
// in the Input, one file per finding (finding_<topic>.go): every sentence
// is chosen by a comparison of measured values, so it cannot contradict
// the table.
package report
