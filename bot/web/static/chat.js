// The one script of the trial's page: a chosen or taken photo is sent at once (without
// JavaScript the "Send the photo" button does it), and the newest message is in view.
document.querySelectorAll("#photo-form input[type=file]").forEach(function (input) {
  input.addEventListener("change", function () {
    if (input.files.length) { input.form.submit(); }
  });
});
var end = document.getElementById("end");
if (end) { end.scrollIntoView(); }
