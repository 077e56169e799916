// Load ./tiles/tileset.json into a Cesium viewer that downloads nothing from outside, frame it,
// wait until every tile the view needs has loaded, then publish what happened in window.twin.
(async () => {
  const state = { done: false, error: null, failed: [], loaded: 0, picked: null };
  window.twin = state;
  try {
    Cesium.Ion.defaultAccessToken = "";
    const viewer = new Cesium.Viewer("view", {
      baseLayer: false, baseLayerPicker: false, geocoder: false, homeButton: false, sceneModePicker: false,
      navigationHelpButton: false, animation: false, timeline: false, fullscreenButton: false,
      infoBox: false, selectionIndicator: false, skyBox: false, skyAtmosphere: false,
      terrainProvider: new Cesium.EllipsoidTerrainProvider(), contextOptions: { webgl: { preserveDrawingBuffer: true } },
    });
    const scene = viewer.scene;
    scene.globe.baseColor = Cesium.Color.fromCssColorString("#55624a");
    scene.backgroundColor = Cesium.Color.fromCssColorString("#b9cfe0");
    scene.fog.enabled = false;
    const params = new URLSearchParams(location.search);
    const tileset = await Cesium.Cesium3DTileset.fromUrl(params.get("tileset") || "tiles/tileset.json");
    tileset.tileFailed.addEventListener((e) => state.failed.push(`${e.url}: ${e.message}`));
    tileset.tileLoad.addEventListener(() => { state.loaded += 1; });
    scene.primitives.add(tileset);
    const sphere = tileset.boundingSphere;
    viewer.camera.viewBoundingSphere(sphere, new Cesium.HeadingPitchRange(
      Cesium.Math.toRadians(Number(params.get("heading") || 30)), Cesium.Math.toRadians(Number(params.get("pitch") || -35)),
      sphere.radius * Number(params.get("range") || 1.6)));
    viewer.camera.lookAtTransform(Cesium.Matrix4.IDENTITY);
    const carto = Cesium.Cartographic.fromCartesian(sphere.center);
    state.centre = [Cesium.Math.toDegrees(carto.longitude), Cesium.Math.toDegrees(carto.latitude), carto.height];
    state.radius = sphere.radius;
    state.hide = () => { tileset.show = false; scene.requestRender(); };
    const ready = () => tileset.tilesLoaded && state.loaded > 0;
    await new Promise((resolve) => {
      const check = () => (ready() ? resolve() : setTimeout(check, 200));
      check();
    });
    await new Promise((resolve) => setTimeout(resolve, 1000)); // a few frames with every tile drawn
    const canvas = scene.canvas;
    for (let i = 0; i < 400 && !state.picked; i += 1) { // first feature found on a grid over the view
      const at = new Cesium.Cartesian2(canvas.clientWidth * (0.2 + 0.6 * ((i % 20) / 19)),
                                       canvas.clientHeight * (0.2 + 0.6 * (Math.floor(i / 20) / 19)));
      const hit = scene.pick(at);
      if (hit instanceof Cesium.Cesium3DTileFeature) {
        const values = {};
        for (const id of hit.getPropertyIds()) values[id] = hit.getProperty(id);
        state.picked = { featureId: hit.featureId, properties: values };
      }
    }
    state.done = true;
  } catch (err) {
    state.error = String(err && err.stack || err);
    state.done = true;
  }
})();
