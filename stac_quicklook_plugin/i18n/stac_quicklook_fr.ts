<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="fr_FR" sourcelanguage="en">
    <context>
        <name>StacQuicklook</name>
        <message>
            <source>GDAL's Python bindings (osgeo) are part of every QGIS installer: repair or reinstall QGIS.</source>
            <translation>Les bibliothèques Python de GDAL (osgeo) font partie de chaque installation de QGIS : réparez ou réinstallez QGIS.</translation>
        </message>
        <message>
            <source>In the OSGeo4W Shell (Start menu), run: python -m pip install {names}</source>
            <translation>Dans l’OSGeo4W Shell (menu Démarrer), exécutez : python -m pip install {names}</translation>
        </message>
        <message>
            <source>In a terminal, run: /Applications/QGIS.app/Contents/MacOS/bin/pip3 install {names}</source>
            <translation>Dans un terminal, exécutez : /Applications/QGIS.app/Contents/MacOS/bin/pip3 install {names}</translation>
        </message>
        <message>
            <source>On Debian/Ubuntu, run: sudo apt install {packages} (other Linux: install {names} for the Python that QGIS uses)</source>
            <translation>Sous Debian/Ubuntu, exécutez : sudo apt install {packages} (autres Linux : installez {names} pour le Python qu’utilise QGIS)</translation>
        </message>
        <message>
            <source>STAC Quicklook needs the Python package(s) {names}, which this QGIS cannot import. {how} Then restart QGIS.</source>
            <translation>STAC Quicklook a besoin du ou des paquets Python {names}, que ce QGIS ne peut pas importer. {how} Redémarrez ensuite QGIS.</translation>
        </message>
        <message>
            <source>STAC Quicklook</source>
            <translation>STAC Quicklook</translation>
        </message>
        <message>
            <source>STAC API root URL (the landing page that links to /search)</source>
            <translation>URL racine de l’API STAC (la page d’accueil qui mène à /search)</translation>
        </message>
        <message>
            <source>STAC API</source>
            <translation>API STAC</translation>
        </message>
        <message>
            <source>Optional QGIS authentication config (Basic, API key header...) sent to the STAC API only</source>
            <translation>Configuration d’authentification QGIS facultative (Basic, en-tête de clé d’API…), envoyée à l’API STAC uniquement</translation>
        </message>
        <message>
            <source>Authentication</source>
            <translation>Authentification</translation>
        </message>
        <message>
            <source>Collection</source>
            <translation>Collection</translation>
        </message>
        <message>
            <source>Last 30 days</source>
            <translation>30 derniers jours</translation>
        </message>
        <message>
            <source>Search the 30 days up to today, whenever you click</source>
            <translation>Chercher dans les 30 jours précédant aujourd’hui, à chaque clic</translation>
        </message>
        <message>
            <source>Dates</source>
            <translation>Dates</translation>
        </message>
        <message>
            <source>Max cloud cover</source>
            <translation>Couverture nuageuse max.</translation>
        </message>
        <message>
            <source>Auto: the true-colour image if the item has one, else the red, green and blue bands</source>
            <translation>Auto : l’image en couleurs naturelles si l’élément en a une, sinon les bandes rouge, verte et bleue</translation>
        </message>
        <message>
            <source>Asset</source>
            <translation>Ressource</translation>
        </message>
        <message>
            <source>Auto (canvas width)</source>
            <translation>Auto (largeur du canevas)</translation>
        </message>
        <message>
            <source>Output width</source>
            <translation>Largeur de sortie</translation>
        </message>
        <message>
            <source>Quicklook</source>
            <translation>Aperçu</translation>
        </message>
        <message>
            <source>Quicklook the current map extent</source>
            <translation>Faire un aperçu de l’emprise actuelle de la carte</translation>
        </message>
        <message>
            <source>Cancel</source>
            <translation>Annuler</translation>
        </message>
        <message>
            <source>Pan the map, then click Quicklook.</source>
            <translation>Déplacez la carte, puis cliquez sur Aperçu.</translation>
        </message>
        <message>
            <source>Quicklook / item</source>
            <translation>Aperçu / élément</translation>
        </message>
        <message>
            <source>Date</source>
            <translation>Date</translation>
        </message>
        <message>
            <source>Cloud</source>
            <translation>Nuages</translation>
        </message>
        <message>
            <source>Quicklooks made this session; double-click to zoom to one</source>
            <translation>Aperçus faits pendant cette session ; double-cliquez pour zoomer sur l’un d’eux</translation>
        </message>
        <message>
            <source>Auto</source>
            <translation>Auto</translation>
        </message>
        <message>
            <source>Listing collections of {api}</source>
            <translation>Liste des collections de {api}</translation>
        </message>
        <message>
            <source>Listing assets of {collection}</source>
            <translation>Liste des ressources de {collection}</translation>
        </message>
        <message>
            <source>Could not read the {what} list: {error}</source>
            <translation>Impossible de lire la liste des {what} : {error}</translation>
        </message>
        <message>
            <source>collection</source>
            <translation>collections</translation>
        </message>
        <message>
            <source>asset</source>
            <translation>ressources</translation>
        </message>
        <message>
            <source>no answer</source>
            <translation>pas de réponse</translation>
        </message>
        <message>
            <source>Empty map extent</source>
            <translation>Emprise de carte vide</translation>
        </message>
        <message>
            <source>The map view has no usable extent. Zoom to an area and try again.</source>
            <translation>La vue de la carte n’a pas d’emprise utilisable. Zoomez sur une zone et réessayez.</translation>
        </message>
        <message>
            <source>Unknown map CRS</source>
            <translation>SCR de la carte inconnu</translation>
        </message>
        <message>
            <source>The project has no valid coordinate reference system. Set one in Project &gt; Properties &gt; CRS.</source>
            <translation>Le projet n’a pas de système de coordonnées de référence valide. Choisissez-en un dans Projet &gt; Propriétés &gt; SCR.</translation>
        </message>
        <message>
            <source>Cannot transform the map extent</source>
            <translation>Impossible de transformer l’emprise de la carte</translation>
        </message>
        <message>
            <source>The map extent could not be transformed from {crs} to EPSG:4326 ({detail}). Zoom to a smaller area or check the project CRS.</source>
            <translation>L’emprise de la carte n’a pas pu être transformée de {crs} en EPSG:4326 ({detail}). Zoomez sur une zone plus petite ou vérifiez le SCR du projet.</translation>
        </message>
        <message>
            <source>The map extent has no valid position on Earth in EPSG:4326. Zoom to an area of land and try again.</source>
            <translation>L’emprise de la carte n’a aucune position valide sur la Terre en EPSG:4326. Zoomez sur une zone de terre ferme et réessayez.</translation>
        </message>
        <message>
            <source>Map extent crosses the antimeridian</source>
            <translation>L’emprise de la carte traverse l’antiméridien</translation>
        </message>
        <message>
            <source>The map view crosses the 180° meridian; a quicklook covers one side of it. Pan so the view lies east or west of 180°, or make one quicklook on each side.</source>
            <translation>La vue de la carte traverse le méridien 180° ; un aperçu couvre un seul côté. Déplacez la vue à l’est ou à l’ouest de 180°, ou faites un aperçu de chaque côté.</translation>
        </message>
        <message>
            <source>Map extent too large</source>
            <translation>Emprise de carte trop grande</translation>
        </message>
        <message>
            <source>The map shows {w:.1f}° x {h:.1f}°; a quicklook covers at most {m:.0f}° x {m:.0f}° (about 4 x 4 Sentinel-2 tiles). Zoom in and try again.</source>
            <translation>La carte montre {w:.1f}° x {h:.1f}° ; un aperçu couvre au plus {m:.0f}° x {m:.0f}° (environ 4 x 4 tuiles Sentinel-2). Zoomez et réessayez.</translation>
        </message>
        <message>
            <source>undated</source>
            <translation>sans date</translation>
        </message>
        <message>
            <source>{cloud} % cloud</source>
            <translation>{cloud} % de nuages</translation>
        </message>
        <message>
            <source>≤ {cloud} % cloud</source>
            <translation>≤ {cloud} % de nuages</translation>
        </message>
        <message>
            <source>Created by STAC Quicklook at {time}</source>
            <translation>Créé par STAC Quicklook le {time}</translation>
        </message>
        <message>
            <source>Quicklook from the STAC API {api}, collection {collection}.</source>
            <translation>Aperçu de l’API STAC {api}, collection {collection}.</translation>
        </message>
        <message>
            <source>Search: bbox {bbox}, dates {dates}, cloud cover ≤ {cloud} %, strategy “{strategy}”.</source>
            <translation>Recherche : emprise {bbox}, dates {dates}, couverture nuageuse ≤ {cloud} %, stratégie « {strategy} ».</translation>
        </message>
        <message>
            <source>last 30 days</source>
            <translation>30 derniers jours</translation>
        </message>
        <message>
            <source>Asset: {asset}</source>
            <translation>Ressource : {asset}</translation>
        </message>
        <message>
            <source>Items ({count}):</source>
            <translation>Éléments ({count}) :</translation>
        </message>
        <message>
            <source>cloud cover unknown</source>
            <translation>couverture nuageuse inconnue</translation>
        </message>
        <message>
            <source>Images:</source>
            <translation>Images :</translation>
        </message>
        <message>
            <source>Save quicklook as…</source>
            <translation>Enregistrer l’aperçu sous…</translation>
        </message>
        <message>
            <source>Save quicklook as</source>
            <translation>Enregistrer l’aperçu sous</translation>
        </message>
        <message>
            <source>GeoTIFF (*.tif *.tiff)</source>
            <translation>GeoTIFF (*.tif *.tiff)</translation>
        </message>
        <message>
            <source>Could not save the quicklook</source>
            <translation>Impossible d’enregistrer l’aperçu</translation>
        </message>
        <message>
            <source>Quicklook saved</source>
            <translation>Aperçu enregistré</translation>
        </message>
        <message>
            <source>Saved “{name}” as {path}</source>
            <translation>« {name} » enregistré sous {path}</translation>
        </message>
        <message>
            <source>The STAC API URL “{url}” must start with http:// or https://.</source>
            <translation>L’URL de l’API STAC « {url} » doit commencer par http:// ou https://.</translation>
        </message>
        <message>
            <source>The start date {start} is after the end date {end}.</source>
            <translation>La date de début {start} est postérieure à la date de fin {end}.</translation>
        </message>
        <message>
            <source>STAC Quicklook: {collection}</source>
            <translation>STAC Quicklook : {collection}</translation>
        </message>
        <message>
            <source>Waiting to start</source>
            <translation>En attente de démarrage</translation>
        </message>
        <message>
            <source>STAC Quicklook: {stage}</source>
            <translation>STAC Quicklook : {stage}</translation>
        </message>
        <message>
            <source>Quicklook current extent</source>
            <translation>Aperçu de l’emprise actuelle</translation>
        </message>
        <message>
            <source>STAC Quicklook: a low-resolution Sentinel-2 picture of the map extent</source>
            <translation>STAC Quicklook : une image Sentinel-2 basse résolution de l’emprise de la carte</translation>
        </message>
        <message>
            <source>STAC Quicklook panel</source>
            <translation>Panneau STAC Quicklook</translation>
        </message>
        <message>
            <source>Missing Python packages</source>
            <translation>Paquets Python manquants</translation>
        </message>
        <message>
            <source>Check the STAC Quicklook settings</source>
            <translation>Vérifiez les réglages de STAC Quicklook</translation>
        </message>
        <message>
            <source>Searching {api} …</source>
            <translation>Recherche dans {api} …</translation>
        </message>
        <message>
            <source>Quicklook cancelled</source>
            <translation>Aperçu annulé</translation>
        </message>
        <message>
            <source>No layer was added.</source>
            <translation>Aucune couche n’a été ajoutée.</translation>
        </message>
        <message>
            <source>Added “{name}” ({width} x {height} px, {seconds:.1f} s).</source>
            <translation>« {name} » ajouté ({width} x {height} px, {seconds:.1f} s).</translation>
        </message>
        <message>
            <source>Added {name}: {count} item(s), asset {asset}, strategy {strategy}, {seconds:.1f} s</source>
            <translation>{name} ajouté : {count} élément(s), ressource {asset}, stratégie {strategy}, {seconds:.1f} s</translation>
        </message>
        <message>
            <source>Status: {status}
URL: {url}
Body: {body}</source>
            <translation>Statut : {status}
URL : {url}
Corps : {body}</translation>
        </message>
        <message>
            <source>Unexpected error</source>
            <translation>Erreur inattendue</translation>
        </message>
        <message>
            <source>STAC Quicklook hit an unexpected error ({kind}: {error}). The details are in the log (View &gt; Panels &gt; Log Messages, tab “STAC Quicklook”).</source>
            <translation>STAC Quicklook a rencontré une erreur inattendue ({kind} : {error}). Les détails sont dans le journal (Vue &gt; Panneaux &gt; Journal des messages, onglet « STAC Quicklook »).</translation>
        </message>
        <message>
            <source>Quicklooks not saved with the project</source>
            <translation>Aperçus non enregistrés avec le projet</translation>
        </message>
        <message>
            <source>(The server's answer is in the log.)</source>
            <translation>(La réponse du serveur est dans le journal.)</translation>
        </message>
        <message>
            <source>Quicklook of an extent</source>
            <translation>Aperçu d’une emprise</translation>
        </message>
        <message>
            <source>Extent</source>
            <translation>Emprise</translation>
        </message>
        <message>
            <source>Start date</source>
            <translation>Date de début</translation>
        </message>
        <message>
            <source>End date</source>
            <translation>Date de fin</translation>
        </message>
        <message>
            <source>Maximum cloud cover (%)</source>
            <translation>Couverture nuageuse maximale (%)</translation>
        </message>
        <message>
            <source>Asset (empty: automatic)</source>
            <translation>Ressource (vide : automatique)</translation>
        </message>
        <message>
            <source>Output width (pixels)</source>
            <translation>Largeur de sortie (pixels)</translation>
        </message>
        <message>
            <source>Output CRS (empty: the scene's own)</source>
            <translation>SCR de sortie (vide : celui de la scène)</translation>
        </message>
        <message>
            <source>Rank scenes by</source>
            <translation>Classer les scènes selon</translation>
        </message>
        <message>
            <source>Least cloud over the extent (scene classification)</source>
            <translation>Le moins de nuages sur l’emprise (classification de scène)</translation>
        </message>
        <message>
            <source>Scene cloud cover (eo:cloud_cover)</source>
            <translation>Couverture nuageuse de la scène (eo:cloud_cover)</translation>
        </message>
        <message>
            <source>Fill cloudy pixels from the next scenes</source>
            <translation>Remplir les pixels nuageux avec les scènes suivantes</translation>
        </message>
        <message>
            <source>Item ids used</source>
            <translation>Identifiants des éléments utilisés</translation>
        </message>
        <message>
            <source>Search strategy</source>
            <translation>Stratégie de recherche</translation>
        </message>
        <message>
            <source>Quicklook cancelled: no file was written.</source>
            <translation>Aperçu annulé : aucun fichier n’a été écrit.</translation>
        </message>
        <message>
            <source>Items: {items}; asset {asset}; strategy {strategy}; {width} x {height} px</source>
            <translation>Éléments : {items} ; ressource {asset} ; stratégie {strategy} ; {width} x {height} px</translation>
        </message>
        <message>
            <source>{name} “{value}” is not a date; use YYYY-MM-DD.</source>
            <translation>{name} « {value} » n’est pas une date ; utilisez AAAA-MM-JJ.</translation>
        </message>
        <message>
            <source>GDAL could not write {path} as {driver}: {error}</source>
            <translation>GDAL n’a pas pu écrire {path} au format {driver} : {error}</translation>
        </message>
        <message>
            <source>unknown</source>
            <translation>inconnue</translation>
        </message>
        <message>
            <source>Refresh dates</source>
            <translation>Actualiser les dates</translation>
        </message>
        <message>
            <source>List the acquisition dates over the current map extent</source>
            <translation>Lister les dates d’acquisition sur l’emprise actuelle de la carte</translation>
        </message>
        <message>
            <source>Time series</source>
            <translation>Série temporelle</translation>
        </message>
        <message>
            <source>Quicklook every acquisition date of the date range over the map extent, one layer per date, for the Temporal Controller</source>
            <translation>Faire un aperçu de chaque date d’acquisition de la période sur l’emprise de la carte, une couche par date, pour le contrôleur temporel</translation>
        </message>
        <message>
            <source>at most </source>
            <translation>au plus </translation>
        </message>
        <message>
            <source> dates</source>
            <translation> dates</translation>
        </message>
        <message>
            <source>A time series with more acquisition dates than this is refused</source>
            <translation>Une série temporelle de plus de dates d’acquisition que cela est refusée</translation>
        </message>
        <message>
            <source>Footprints</source>
            <translation>Emprises</translation>
        </message>
        <message>
            <source>Show the outlines of the scenes found as a layer in the quicklook group</source>
            <translation>Afficher les contours des scènes trouvées dans une couche du groupe des aperçus</translation>
        </message>
        <message>
            <source>Dates over the view appear here after a quicklook.</source>
            <translation>Les dates disponibles sur la vue apparaissent ici après un aperçu.</translation>
        </message>
        <message>
            <source>Cloud over view</source>
            <translation>Nuages sur la vue</translation>
        </message>
        <message>
            <source>Scene cloud</source>
            <translation>Nuages de la scène</translation>
        </message>
        <message>
            <source>Coverage</source>
            <translation>Couverture</translation>
        </message>
        <message>
            <source>Acquisition dates over the view; double-click one to quicklook it</source>
            <translation>Dates d’acquisition sur la vue ; double-cliquez sur l’une d’elles pour en faire un aperçu</translation>
        </message>
        <message>
            <source>Previous date</source>
            <translation>Date précédente</translation>
        </message>
        <message>
            <source>Quicklook the acquisition before the one on screen, over the map extent</source>
            <translation>Faire un aperçu de l’acquisition précédant celle affichée, sur l’emprise de la carte</translation>
        </message>
        <message>
            <source>Next date</source>
            <translation>Date suivante</translation>
        </message>
        <message>
            <source>Quicklook the acquisition after the one on screen, over the map extent</source>
            <translation>Faire un aperçu de l’acquisition suivant celle affichée, sur l’emprise de la carte</translation>
        </message>
        <message>
            <source>STAC Quicklook: acquisition dates</source>
            <translation>STAC Quicklook : dates d’acquisition</translation>
        </message>
        <message>
            <source>Listing the acquisition dates over the view …</source>
            <translation>Liste des dates d’acquisition sur la vue …</translation>
        </message>
        <message>
            <source>Listing cancelled.</source>
            <translation>Liste annulée.</translation>
        </message>
        <message>
            <source>{count} date(s) over the view; double-click one to quicklook it.</source>
            <translation>{count} date(s) sur la vue ; double-cliquez sur l’une d’elles pour en faire un aperçu.</translation>
        </message>
        <message>
            <source>No acquisition date over this view in the date range.</source>
            <translation>Aucune date d’acquisition sur cette vue dans la période.</translation>
        </message>
        <message>
            <source>from {first} to {last}</source>
            <translation>du {first} au {last}</translation>
        </message>
        <message>
            <source>No earlier acquisition over this view in the date range ({span}).</source>
            <translation>Aucune acquisition antérieure sur cette vue dans la période ({span}).</translation>
        </message>
        <message>
            <source>No later acquisition over this view in the date range ({span}).</source>
            <translation>Aucune acquisition postérieure sur cette vue dans la période ({span}).</translation>
        </message>
        <message>
            <source>Least cloud over the view</source>
            <translation>Le moins de nuages sur la vue</translation>
        </message>
        <message>
            <source>Least cloud over the scene</source>
            <translation>Le moins de nuages sur la scène</translation>
        </message>
        <message>
            <source>Mask clouds</source>
            <translation>Masquer les nuages</translation>
        </message>
        <message>
            <source>Fill cloudy pixels (scene classification) from the next scenes</source>
            <translation>Remplir les pixels nuageux (classification de scène) avec les scènes suivantes</translation>
        </message>
        <message>
            <source>Best scene</source>
            <translation>Meilleure scène</translation>
        </message>
        <message>
            <source>Scene footprints</source>
            <translation>Emprises des scènes</translation>
        </message>
        <message>
            <source>{cloud} % cloud over view</source>
            <translation>{cloud} % de nuages sur la vue</translation>
        </message>
        <message>
            <source>{cloud} % over the view</source>
            <translation>{cloud} % sur la vue</translation>
        </message>
        <message>
            <source>Cloud: {view} over the view, {scene} over the scene (best scene by {rank}; clouds {masked}).</source>
            <translation>Nuages : {view} sur la vue, {scene} sur la scène (meilleure scène selon {rank} ; nuages {masked}).</translation>
        </message>
        <message>
            <source>scene cloud cover</source>
            <translation>la couverture nuageuse de la scène</translation>
        </message>
        <message>
            <source>cloud over the view</source>
            <translation>les nuages sur la vue</translation>
        </message>
        <message>
            <source>masked</source>
            <translation>masqués</translation>
        </message>
        <message>
            <source>not masked</source>
            <translation>non masqués</translation>
        </message>
        <message>
            <source>GDAL could not write {path}: {error}</source>
            <translation>GDAL n’a pas pu écrire {path} : {error}</translation>
        </message>
        <message>
            <source>QGIS could not open {path} for the layer “{name}”.</source>
            <translation>QGIS n’a pas pu ouvrir {path} pour la couche « {name} ».</translation>
        </message>
        <message>
            <source>“{name}” keeps its memory copy: {error}</source>
            <translation>« {name} » garde sa copie en mémoire : {error}</translation>
        </message>
        <message>
            <source>Could not delete {path}: {error}</source>
            <translation>Impossible de supprimer {path} : {error}</translation>
        </message>
        <message>
            <source>STAC Quicklook: time series</source>
            <translation>STAC Quicklook : série temporelle</translation>
        </message>
        <message>
            <source>Time series: listing the dates over the view …</source>
            <translation>Série temporelle : liste des dates sur la vue …</translation>
        </message>
        <message>
            <source>Time series cancelled</source>
            <translation>Série temporelle annulée</translation>
        </message>
        <message>
            <source>Kept the {count} date(s) already made.</source>
            <translation>Les {count} date(s) déjà faites sont conservées.</translation>
        </message>
        <message>
            <source>Time series: {stage}</source>
            <translation>Série temporelle : {stage}</translation>
        </message>
        <message>
            <source>Series {start} – {end}</source>
            <translation>Série {start} – {end}</translation>
        </message>
        <message>
            <source>{count} date(s), {first} to {last}: play them in the Temporal Controller.</source>
            <translation>{count} date(s), du {first} au {last} : faites-les défiler dans le contrôleur temporel.</translation>
        </message>
        <message>
            <source>Not made: {dates}.</source>
            <translation>Non faites : {dates}.</translation>
        </message>
        <message>
            <source>Time series ready</source>
            <translation>Série temporelle prête</translation>
        </message>
        <message>
            <source>STAC Quicklook: loading the engine</source>
            <translation>STAC Quicklook : chargement du moteur</translation>
        </message>
        <message>
            <source>STAC Quicklook: reading the API's landing page</source>
            <translation>STAC Quicklook : lecture de la page d’accueil de l’API</translation>
        </message>
        <message>
            <source>Collection id, or several separated by commas (searched together, each acquisition once); the list is read from the API's /collections</source>
            <translation>Identifiant de collection, ou plusieurs séparés par des virgules (cherchées ensemble, chaque acquisition une fois) ; la liste est lue dans /collections de l’API</translation>
        </message>
        <message>
            <source>On Earth Search v1: sentinel-2-c1-l2a and sentinel-2-l2a searched together, each acquisition once (Collection 1 preferred); elsewhere sentinel-2-l2a</source>
            <translation>Sur Earth Search v1 : sentinel-2-c1-l2a et sentinel-2-l2a cherchées ensemble, chaque acquisition une fois (Collection 1 préférée) ; ailleurs sentinel-2-l2a</translation>
        </message>
        <message>
            <source>Sentinel-2 L2A (best available)</source>
            <translation>Sentinel-2 L2A (la meilleure disponible)</translation>
        </message>
        <message>
            <source>The same acquisitions in another collection, left out:</source>
            <translation>Les mêmes acquisitions dans une autre collection, écartées :</translation>
        </message>
        <message>
            <source>Reflectance {low} to {high} drawn as 1 to 255; scale and offset per item:</source>
            <translation>Réflectance de {low} à {high} affichée de 1 à 255 ; échelle et décalage par élément :</translation>
        </message>
        <message>
            <source>The collection “{collection}” is not a collection id (no spaces or slashes; separate several with commas).</source>
            <translation>La collection « {collection} » n’est pas un identifiant de collection (ni espaces ni barres obliques ; séparez-en plusieurs par des virgules).</translation>
        </message>
        <message>
            <source>The collection moved from sentinel-2-l2a to “Sentinel-2 L2A (best available)”: on Earth Search the old collection misses many recent scenes, so sentinel-2-c1-l2a is searched with it, each acquisition once. To search sentinel-2-l2a alone, choose it in the panel's Collection list.</source>
            <translation>La collection passe de sentinel-2-l2a à « Sentinel-2 L2A (la meilleure disponible) » : sur Earth Search, l’ancienne collection manque beaucoup de scènes récentes, donc sentinel-2-c1-l2a est cherchée avec elle, chaque acquisition une fois. Pour chercher sentinel-2-l2a seule, choisissez-la dans la liste Collection du panneau.</translation>
        </message>
        <message>
            <source>Collection (empty: the best available Sentinel-2 L2A; several: a,b)</source>
            <translation>Collection (vide : la meilleure Sentinel-2 L2A disponible ; plusieurs : a,b)</translation>
        </message>
        <message>
            <source>Composites of reflectance bands (red, green, blue assets) draw this reflectance range as dark to bright, the same on every date; the true-colour image and a single asset are shown as published</source>
            <translation>Les composés de bandes de réflectance (actifs rouge, vert, bleu) affichent cette plage de réflectance du sombre au clair, la même à chaque date ; l’image en couleurs naturelles et un actif seul sont affichés tels que publiés</translation>
        </message>
        <message>
            <source>Reflectance range</source>
            <translation>Plage de réflectance</translation>
        </message>
        <message>
            <source>Composites: reflectance drawn darkest</source>
            <translation>Composés : réflectance affichée la plus sombre</translation>
        </message>
        <message>
            <source>Composites: reflectance drawn brightest</source>
            <translation>Composés : réflectance affichée la plus claire</translation>
        </message>
        <message>
            <source>Collections searched: {collections}; the same acquisitions left out: {duplicates}</source>
            <translation>Collections cherchées : {collections} ; mêmes acquisitions écartées : {duplicates}</translation>
        </message>
        <message>
            <source>none</source>
            <translation>aucune</translation>
        </message>
        <message>
            <source>Show</source>
            <translation>Afficher</translation>
        </message>
        <message>
            <source>Shows: {what}</source>
            <translation>Affiche : {what}</translation>
        </message>
        <message>
            <source>Expression: {expression}</source>
            <translation>Expression : {expression}</translation>
        </message>
        <message>
            <source>Bands: {bands}</source>
            <translation>Bandes : {bands}</translation>
        </message>
        <message>
            <source>Colour ramp from {low} to {high}; no data and clouds (when masked) are transparent.</source>
            <translation>Rampe de couleurs de {low} à {high} ; l’absence de données et les nuages (s’ils sont masqués) sont transparents.</translation>
        </message>
        <message>
            <source>True colour</source>
            <translation>Couleurs naturelles</translation>
        </message>
        <message>
            <source>False colour (NIR, red, green)</source>
            <translation>Fausses couleurs (PIR, rouge, vert)</translation>
        </message>
        <message>
            <source>Short-wave infrared (SWIR, NIR, red)</source>
            <translation>Infrarouge à ondes courtes (SWIR, PIR, rouge)</translation>
        </message>
        <message>
            <source>Agriculture (SWIR, NIR, blue)</source>
            <translation>Agriculture (SWIR, PIR, bleu)</translation>
        </message>
        <message>
            <source>NDVI (vegetation)</source>
            <translation>NDVI (végétation)</translation>
        </message>
        <message>
            <source>NDWI (open water)</source>
            <translation>NDWI (eaux libres)</translation>
        </message>
        <message>
            <source>NDMI (moisture)</source>
            <translation>NDMI (humidité)</translation>
        </message>
        <message>
            <source>NBR (burn ratio)</source>
            <translation>NBR (indice de brûlis)</translation>
        </message>
        <message>
            <source>EVI (enhanced vegetation)</source>
            <translation>EVI (végétation améliorée)</translation>
        </message>
        <message>
            <source>Band math…</source>
            <translation>Calcul de bandes…</translation>
        </message>
        <message>
            <source>Composites and indices are computed on reflectance (the catalog's scale and offset), from the bands' common names; cloud ranking and masking work for all</source>
            <translation>Les composés et les indices sont calculés sur la réflectance (échelle et décalage du catalogue), à partir des noms communs des bandes ; le classement et le masquage des nuages valent pour tous</translation>
        </message>
        <message>
            <source>Band math over the bands' common names or asset keys: + - * /, parentheses, numbers</source>
            <translation>Calcul sur les noms communs des bandes ou les clés des ressources : + - * /, parenthèses, nombres</translation>
        </message>
        <message>
            <source>Searches a STAC API for the least cloudy scene over the extent and streams only the overview tiles it needs from Cloud-Optimized GeoTIFFs into a raster file (a GeoTIFF by default). Empty dates mean the last 30 days; an empty asset picks true colour automatically. PRESET shows a false-colour composite or a spectral index, computed on reflectance from the bands' common names; EXPRESSION computes band math over them (parsed, never run). ITEMS lists the item ids used, STRATEGY the search strategy.</source>
            <translation>Cherche dans une API STAC la scène la moins nuageuse sur l’emprise et ne lit que les tuiles d’aperçu nécessaires des GeoTIFF optimisés pour le cloud, dans un fichier raster (un GeoTIFF par défaut). Des dates vides signifient les 30 derniers jours ; une ressource vide choisit automatiquement les couleurs naturelles. PRESET affiche un composé en fausses couleurs ou un indice spectral, calculé sur la réflectance à partir des noms communs des bandes ; EXPRESSION calcule une formule sur ces bandes (analysée, jamais exécutée). ITEMS liste les identifiants des éléments utilisés, STRATEGY la stratégie de recherche.</translation>
        </message>
        <message>
            <source>Show (true-color, false-color, swir, agriculture, ndvi, ndwi, ndmi, nbr, evi)</source>
            <translation>Afficher (true-color, false-color, swir, agriculture, ndvi, ndwi, ndmi, nbr, evi)</translation>
        </message>
        <message>
            <source>Band math instead, e.g. (nir - red) / (nir + red)</source>
            <translation>Ou un calcul de bandes, p. ex. (nir - red) / (nir + red)</translation>
        </message>
        <message>
            <source>STAC Quicklook: index time series</source>
            <translation>STAC Quicklook : série temporelle d’indice</translation>
        </message>
        <message>
            <source>Series over the view</source>
            <translation>Série sur la vue</translation>
        </message>
        <message>
            <source>Export CSV…</source>
            <translation>Exporter en CSV…</translation>
        </message>
        <message>
            <source>Export PNG…</source>
            <translation>Exporter en PNG…</translation>
        </message>
        <message>
            <source>Click the map with the time-series tool (shift-click adds a point).</source>
            <translation>Cliquez sur la carte avec l’outil de série temporelle (Maj+clic ajoute un point).</translation>
        </message>
        <message>
            <source>Time series at a point</source>
            <translation>Série temporelle en un point</translation>
        </message>
        <message>
            <source>Click the map: the chosen index per date at that point, cloud-free (shift-click adds a point)</source>
            <translation>Cliquez sur la carte : l’indice choisi pour chaque date en ce point, sans nuages (Maj+clic ajoute un point)</translation>
        </message>
        <message>
            <source>At most {count} points on one chart: click without Shift to start again.</source>
            <translation>Au plus {count} points sur un graphique : cliquez sans Maj pour recommencer.</translation>
        </message>
        <message>
            <source>Reading the dates …</source>
            <translation>Lecture des dates …</translation>
        </message>
        <message>
            <source>Time series cancelled.</source>
            <translation>Série temporelle annulée.</translation>
        </message>
        <message>
            <source>the view</source>
            <translation>la vue</translation>
        </message>
        <message>
            <source>at {point}</source>
            <translation>en {point}</translation>
        </message>
        <message>
            <source>over the view</source>
            <translation>sur la vue</translation>
        </message>
        <message>
            <source>(not cloud-masked: no scene classification)</source>
            <translation>(nuages non masqués : pas de classification de scène)</translation>
        </message>
        <message>
            <source>{count} date(s); hover a dot for its value, click it to quicklook that date.</source>
            <translation>{count} date(s) ; survolez un point pour sa valeur, cliquez dessus pour faire l’aperçu de cette date.</translation>
        </message>
        <message>
            <source>cloudy</source>
            <translation>nuageux</translation>
        </message>
        <message>
            <source>Export the time series</source>
            <translation>Exporter la série temporelle</translation>
        </message>
        <message>
            <source>Could not write {path}: {error}</source>
            <translation>Impossible d’écrire {path} : {error}</translation>
        </message>
        <message>
            <source>Could not export the time series</source>
            <translation>Impossible d’exporter la série temporelle</translation>
        </message>
        <message>
            <source>Saved {path}</source>
            <translation>{path} enregistré</translation>
        </message>
        <message>
            <source>Export animation…</source>
            <translation>Exporter l’animation…</translation>
        </message>
        <message>
            <source>The last time series as an animated GIF: one frame per date, the date burned in, the same stretch on every frame</source>
            <translation>La dernière série temporelle en GIF animé : une image par date, la date incrustée, le même étirement sur chaque image</translation>
        </message>
        <message>
            <source>Export animation</source>
            <translation>Exporter l’animation</translation>
        </message>
        <message>
            <source>Make a time series first: its dates are the frames.</source>
            <translation>Faites d’abord une série temporelle : ses dates sont les images.</translation>
        </message>
        <message>
            <source>Could not export the animation</source>
            <translation>Impossible d’exporter l’animation</translation>
        </message>
        <message>
            <source>Animation saved</source>
            <translation>Animation enregistrée</translation>
        </message>
        <message>
            <source>{count} frame(s) in {path}</source>
            <translation>{count} image(s) dans {path}</translation>
        </message>
        <message>
            <source>Index time series at points</source>
            <translation>Série temporelle d’indice en des points</translation>
        </message>
        <message>
            <source>For each point, the index (PRESET or EXPRESSION; NDVI by default) per acquisition date, on reflectance, at the pixel containing the point; a date where the scene classification says cloud has no value and cloudy = true. One row per point and date: point id, date, value, cloudy, valid fraction, items.</source>
            <translation>Pour chaque point, l’indice (PRESET ou EXPRESSION ; NDVI par défaut) à chaque date d’acquisition, sur la réflectance, au pixel qui contient le point ; une date où la classification de scène indique des nuages n’a pas de valeur et cloudy = true. Une ligne par point et par date : identifiant du point, date, valeur, nuageux, part valide, éléments.</translation>
        </message>
        <message>
            <source>Points</source>
            <translation>Points</translation>
        </message>
        <message>
            <source>Point id field (empty: the feature id)</source>
            <translation>Champ identifiant du point (vide : l’identifiant de l’entité)</translation>
        </message>
        <message>
            <source>Maximum scene cloud cover (%)</source>
            <translation>Couverture nuageuse maximale de la scène (%)</translation>
        </message>
        <message>
            <source>Index (ndvi, ndwi, ndmi, nbr, evi)</source>
            <translation>Indice (ndvi, ndwi, ndmi, nbr, evi)</translation>
        </message>
        <message>
            <source>The point layer could not be read.</source>
            <translation>La couche de points n’a pas pu être lue.</translation>
        </message>
        <message>
            <source>Feature {fid} has no point: left out.</source>
            <translation>L’entité {fid} n’a pas de point : écartée.</translation>
        </message>
        <message>
            <source>{rows} row(s) for {points} point(s).</source>
            <translation>{rows} ligne(s) pour {points} point(s).</translation>
        </message>
        <message>
            <source>Notes:</source>
            <translation>Remarques :</translation>
        </message>
        <message>
            <source>Quicklook failed</source>
            <translation>Échec de l’aperçu</translation>
        </message>
        <message>
            <source>Invalid input</source>
            <translation>Saisie invalide</translation>
        </message>
        <message>
            <source>No imagery found</source>
            <translation>Aucune image trouvée</translation>
        </message>
        <message>
            <source>STAC API error</source>
            <translation>Erreur de l’API STAC</translation>
        </message>
        <message>
            <source>Network error</source>
            <translation>Erreur réseau</translation>
        </message>
        <message>
            <source>Malformed STAC answer</source>
            <translation>Réponse STAC mal formée</translation>
        </message>
        <message>
            <source>No usable asset</source>
            <translation>Aucune ressource utilisable</translation>
        </message>
        <message>
            <source>Refused catalog link</source>
            <translation>Lien de catalogue refusé</translation>
        </message>
        <message>
            <source>Could not read the image</source>
            <translation>Impossible de lire l’image</translation>
        </message>
        <message>
            <source>Cancelled</source>
            <translation>Annulé</translation>
        </message>
        <message>
            <source>Missing Python package</source>
            <translation>Paquet Python manquant</translation>
        </message>
        <message>
            <source>STAC Quicklooks</source>
            <translation>Aperçus STAC</translation>
        </message>
    </context>
</TS>
