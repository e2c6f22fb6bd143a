"""Reports: the annual work summary (年度工作总结) with its figures, in English and Chinese, as Word, PDF,
Markdown and HTML, and next year's plan sheet. A presentation layer beside pages/: it reads metrics/ only."""
