"""servicekit: the rules of customer-service processes as an embeddable Python library.

Importing ``servicekit`` stays light: submodules are imported on demand
(``from servicekit.calendar import BusinessCalendar``), and no web, plotting or dataframe
library is ever imported by the core.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
