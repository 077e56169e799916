"""The dialogs: import (the core's import plan), layer style, movie export, about."""
