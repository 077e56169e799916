"""What every scene stands on: the sky gradient, the ground plane with its grid, and the lights."""

from __future__ import annotations

from twin.scene.camera import direction
from twin.scene.ground import ground_grid, ground_plane
from twin.scene.origin import LocalOrigin

#: the ground is drawn unlit in the colour of the bottom of the sky gradient: its far edge melts into a haze
GROUND_COLOR = "#d9ddd6"
GRID_COLOR = "#c9cec6"
BACKGROUND_BOTTOM = GROUND_COLOR
BACKGROUND_TOP = "#b7cadc"
#: ground opacity when some layer lies below it (pipes, tunnels)
GROUND_SEE_THROUGH = 0.45
SUN_AZIMUTH, SUN_ELEVATION, SUN_INTENSITY = 235.0, 50.0, 0.8
HEADLIGHT_INTENSITY = 0.15


class Backdrop:
    """The ground plane and grid of one plotter, redrawn around the drawn layers."""

    def __init__(self, plotter) -> None:
        self.plotter = plotter
        self.ground = None
        self.grid = None

    def paint_sky(self) -> None:
        """The sky gradient behind the scene."""
        self.plotter.set_background(BACKGROUND_BOTTOM, top=BACKGROUND_TOP)

    def update(self, bounds: tuple[float, ...] | None, origin: LocalOrigin, *, see_through: bool) -> None:
        """The ground and its grid around ``bounds`` (local), see-through when something lies below it."""
        self.remove()
        if bounds is None:
            return
        common = dict(pickable=False, reset_camera=False, render=False, lighting=False)
        self.ground = self.plotter.add_mesh(ground_plane(bounds), color=GROUND_COLOR, name="twin:ground",
                                            opacity=GROUND_SEE_THROUGH if see_through else 1.0, **common)
        mapper = self.ground.GetMapper()
        mapper.SetResolveCoincidentTopologyToPolygonOffset()
        mapper.SetRelativeCoincidentTopologyPolygonOffsetParameters(2.0, 2.0)  # behind what lies on it
        grid, _ = ground_grid(bounds, origin)
        self.grid = self.plotter.add_mesh(grid, color=GRID_COLOR, line_width=1.0, name="twin:grid",
                                          opacity=0.6 if see_through else 1.0, **common)
        mapper = self.grid.GetMapper()  # just in front of the ground, behind flat areas lying a few cm above it
        mapper.SetResolveCoincidentTopologyToPolygonOffset()
        mapper.SetRelativeCoincidentTopologyLineOffsetParameters(2.0, 5.0)  # VTK pulls lines forward by 4 units

    def remove(self) -> None:
        """Take the ground and grid off the plotter."""
        for actor in (self.ground, self.grid):
            if actor is not None:
                self.plotter.remove_actor(actor, render=False)
        self.ground = self.grid = None


def set_lights(plotter) -> None:
    """A sun from the south-west (fixed in the scene, so walls facing it are bright) and a soft headlight."""
    import pyvista as pv

    plotter.remove_all_lights()
    sun = pv.Light(light_type="scene light", intensity=SUN_INTENSITY)
    sun.positional = False
    sun.position = tuple(direction(SUN_AZIMUTH, SUN_ELEVATION) * 1000.0)
    sun.focal_point = (0.0, 0.0, 0.0)
    plotter.add_light(sun)
    plotter.add_light(pv.Light(light_type="headlight", intensity=HEADLIGHT_INTENSITY))
