"""Label sheets: layouts of the label stock, the sheets and their PDF, their pages."""
